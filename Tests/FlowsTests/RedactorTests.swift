import Foundation
import Testing

@testable import Flows

@Suite("redactor")
struct RedactorTests {
    static let pem = """
        -----BEGIN PRIVATE KEY-----
        MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7
        bm90LWEtcmVhbC1rZXktYnV0LWxvbmctZW5vdWdoLXRvLWNvdW50
        -----END PRIVATE KEY-----
        """

    @Test func aMultiLineSecretIsMaskedLineByLineAndInItsEscapedForms() throws {
        let redactor = Redactor(secrets: [Self.pem, "p@ss/w\"rd"])
        for line in Self.pem.split(separator: "\n") {
            #expect(redactor.redact("stderr: \(line)") == "stderr: ***")
        }
        let json = String(decoding: try JSONSerialization.data(withJSONObject: ["key": Self.pem, "pw": "p@ss/w\"rd"]), as: UTF8.self)
        let masked = redactor.redact(json)
        #expect(!masked.contains("MIIEvQ") && !masked.contains("w\\\"rd"), "\(masked)")
        #expect(redactor.redact("postgresql://u:p%40ss%2Fw%22rd@h/db?x=p%40ss%2Fw%22rd") == "postgresql://u:***@h/db?x=***")
    }

    @Test func shortValuesAndOrdinaryTextStayReadable() {
        let redactor = Redactor(secrets: ["on", "20261130"])
        #expect(redactor.redact("on line 20261130") == "on line ***")
    }
}
