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

    /// Found by the break-it trial: a secret with `/`, `+` and `=` came back percent-encoded in the ways a URL
    /// query, a server's echo or a form body write it, and was shown.
    @Test func secretsAreMaskedInEveryPercentEncodingAURLGivesThem() {
        let redactor = Redactor(secrets: ["QK/SEKRIT+1==", "tok/SEKRIT+2==", "CS/SEKRIT+5=="])
        for text in ["path /html404?sig=QK/SEKRIT%2B1%3D%3D", "GET http://h/x?page=2&q=tok/SEKRIT+2%3D%3D: HTTP 404",
                     "client_secret=CS/SEKRIT%2B5%3D%3D&grant_type=client_credentials", "q=QK%2FSEKRIT%2B1%3D%3D"] {
            #expect(!redactor.redact(text).contains("SEKRIT"), "\(redactor.redact(text))")
        }
    }

    @Test func shortValuesAndOrdinaryTextStayReadable() {
        let redactor = Redactor(secrets: ["on", "20261130"])
        #expect(redactor.redact("on line 20261130") == "on line ***")
    }
}
