import Foundation
import Testing
import Tenancy
import TestSupport
@testable import App

@Suite struct ConfigurationTests {
    @Test func defaultsAreDocumentedOnes() throws {
        let configuration = try TestApplication.configuration()
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 8080)
        #expect(configuration.databaseEndpoint == nil)
        #expect(configuration.dataDirectory.lastPathComponent == ".kefu")
        #expect(configuration.databasePoolSize == 20)
        #expect(configuration.maxBodyBytes == 1_048_576)
        #expect(configuration.apiRateLimitPerMinute == 600)
        #expect(configuration.seedDemoTenant)
    }

    @Test func loopLagAdmissionIsOffUnlessAskedFor() throws {
        #expect(try TestApplication.configuration().maximumLoopLagMilliseconds == 0)
        #expect(try TestApplication.configuration(["KEFU_MAX_LOOP_LAG_MS": "200"]).maximumLoopLagMilliseconds == 200)
    }

    @Test func portZeroAsksForAnyFreePort() throws {
        #expect(try TestApplication.configuration(["KEFU_PORT": "0"]).port == 0)
    }

    @Test(arguments: [
        ("KEFU_PORT", "eighty", "invalid KEFU_PORT=\"eighty\": expected a port number from 1 to 65535, or 0 for any free port"),
        ("KEFU_PORT", "70000", "invalid KEFU_PORT=\"70000\": expected a port number from 1 to 65535, or 0 for any free port"),
        ("KEFU_PORT", "-1", "invalid KEFU_PORT=\"-1\": expected a port number from 1 to 65535, or 0 for any free port"),
        ("KEFU_DB_POOL_SIZE", "0", "invalid KEFU_DB_POOL_SIZE=\"0\": expected an integer from 2 to 1000"),
        ("KEFU_MAX_LOOP_LAG_MS", "-1", "invalid KEFU_MAX_LOOP_LAG_MS=\"-1\": expected an integer from 0 to 60000"),
        ("KEFU_SEED_DEMO", "maybe", "invalid KEFU_SEED_DEMO=\"maybe\": expected true or false"),
        ("KEFU_LOG_FORMAT", "xml", "invalid KEFU_LOG_FORMAT=\"xml\": expected one of text, json"),
        ("KEFU_LOG_LEVEL", "loud", "invalid KEFU_LOG_LEVEL=\"loud\": expected one of trace, debug, info, notice, warning, error, critical"),
        ("KEFU_TLS_CERT", "/nonexistent/cert.pem", "invalid KEFU_TLS_CERT=\"/nonexistent/cert.pem\": expected a readable PEM file"),
        ("KEFU_TLS_KEY", "/etc/hostname", "invalid KEFU_TLS_CERT=\"\": expected a PEM file (KEFU_TLS_CERT and KEFU_TLS_KEY go together)"),
        ("KEFU_TLS_REDIRECT_PORT", "80", "invalid KEFU_TLS_REDIRECT_PORT=\"80\": expected KEFU_TLS_CERT and KEFU_TLS_KEY to be set too"),
        ("KEFU_AUDIT_TRUSTED_KEYS", "not-a-key", "invalid KEFU_AUDIT_TRUSTED_KEYS=\"not-a-key\": expected comma-separated base64 Ed25519 public keys (kefu audit public-key)"),
        ("KEFU_PUBLIC_DIR", "/nonexistent", "invalid KEFU_PUBLIC_DIR=\"/nonexistent\": expected an existing directory"),
    ])
    func anInvalidValueNamesTheVariableAndWhatItExpects(variable: String, value: String, message: String) {
        do {
            _ = try TestApplication.configuration([variable: value])
            Issue.record("\(variable)=\(value) was accepted")
        } catch {
            #expect(String(describing: error) == message)
        }
    }

    @Test func anInvalidDatabaseURLIsRefused() {
        #expect(throws: DatabaseError.self) { try TestApplication.configuration(["DATABASE_URL": "http://nope"]) }
    }

    @Test func masterKeysComeFromKEFU_MASTER_KEYAndABadOneIsNeverEchoed() throws {
        #expect(try TestApplication.configuration().masterKeys == nil)
        let first = Data(repeating: 1, count: 32).base64EncodedString(), second = Data(repeating: 2, count: 32).base64EncodedString()
        let keys = try #require(try TestApplication.configuration(["KEFU_MASTER_KEY": "\(first),\(second)"]).masterKeys)
        #expect(keys.all.map(\.base64) == [first, second])

        let short = Data(repeating: 3, count: 31).base64EncodedString()
        do {
            _ = try TestApplication.configuration(["KEFU_MASTER_KEY": "\(first),\(short)"])
            Issue.record("a 31-byte master key was accepted")
        } catch {
            #expect(String(describing: error) == "invalid KEFU_MASTER_KEY=\"(not shown)\": expected comma-separated base64 32-byte keys; "
                + "key 2 is not 32 bytes of base64 (make one with: openssl rand -base64 32)")
        }
    }
}
