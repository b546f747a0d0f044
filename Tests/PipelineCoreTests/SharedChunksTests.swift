import PipelineCore
import Testing

/// The buffers the extract stage lends the normalize stage of the same run: bounded, handed out in order,
/// given back to be read into again, and every wait ends when the reader is done.
@Suite("buffers lent between stages")
struct SharedChunksTests {
    @Test func lentBuffersAreBoundedTakenInOrderAndGivenBack() async throws {
        let shared = SharedChunks(capacity: 2)
        let a = [UInt8](repeating: 1, count: 100), b = [UInt8](repeating: 2, count: 100), c = [UInt8](repeating: 3, count: 100)
        shared.offer(a, offset: 0, device: 1, inode: 7)
        shared.offer(a, offset: 0, device: 1, inode: 7)  // the same buffer again: kept once
        shared.offer(b, offset: 100, device: 1, inode: 7)
        shared.offer(c, offset: 200, device: 1, inode: 7)  // no room: not kept, the reader reads the file
        #expect(shared.take(200..<250, device: 1, inode: 7) == nil)
        #expect(shared.take(10..<20, device: 1, inode: 8) == nil)  // another file
        #expect(shared.take(120..<130, device: 1, inode: 7).map { ($0.bytes.first, $0.start) }! == (2, 20))
        // The buffer before it is done with: given back once, and its room is free.
        #expect(shared.reusable()?.first == 1)
        #expect(shared.reusable() == nil)
        shared.offer(c, offset: 200, device: 1, inode: 7)
        #expect(shared.take(150..<250, device: 1, inode: 7) == nil)  // across two buffers: read from the file
        #expect(shared.take(250..<300, device: 1, inode: 7)?.start == 50)
        // A buffer larger than `largest` (a line of many megabytes) is not kept: memory stays bounded.
        let small = SharedChunks(capacity: 2, largest: 150)
        small.offer([UInt8](repeating: 9, count: 200), offset: 0, device: 1, inode: 7)
        #expect(small.take(0..<10, device: 1, inode: 7) == nil)
    }

    @Test func aWaitForRoomEndsWhenTheReaderTakesALaterBufferOrIsDone() async throws {
        for closing in [false, true] {
            let shared = SharedChunks(capacity: 2)
            shared.offer([0, 1], offset: 0, device: 1, inode: 1)
            shared.offer([2, 3], offset: 2, device: 1, inode: 1)
            let waiting = Task { await shared.waitForRoom() }
            for _ in 0..<10 { await Task.yield() }  // most likely suspended by now; either way it must end
            if closing { shared.close() } else { _ = shared.take(2..<4, device: 1, inode: 1) }
            await waiting.value  // would hang the test were it not resumed
            if closing {
                shared.offer([4], offset: 4, device: 1, inode: 1)  // after close, nothing is kept
                #expect(shared.take(4..<5, device: 1, inode: 1) == nil)
            }
        }
        let free = SharedChunks(capacity: 2)
        await free.waitForRoom()  // room at once
    }
}
