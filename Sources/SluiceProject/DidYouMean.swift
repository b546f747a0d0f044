/// The closest known name to a mistyped one, for "did you mean" hints.
public enum DidYouMean {
    /// The candidate closest to `given` by edit distance (or ignoring `_` and case), if close enough to be a typo.
    public static func suggestion(for given: String, among candidates: [String]) -> String? {
        let plain = { (s: String) in s.lowercased().filter { $0 != "_" && $0 != "-" } }
        if let same = candidates.first(where: { plain($0) == plain(given) }) { return same }
        let best = candidates.map { ($0, distance(given.lowercased(), $0.lowercased())) }.min { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
        guard let (name, d) = best, d <= max(1, (min(given.count, name.count) + 2) / 3) else { return nil }
        return name
    }

    /// Levenshtein distance between `a` and `b`.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
