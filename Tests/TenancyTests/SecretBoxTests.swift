import Crypto
import Foundation
import Testing
@testable import Tenancy

@Suite struct SecretBoxTests {
    static let column = SecretColumn(table: "users", name: "totp_secret")
    static let other = SecretColumn(table: "widgets", name: "identity_secret")
    let tenant = UUID()
    let row = UUID()

    func box(_ keys: SymmetricKey...) throws -> SecretBox {
        SecretBox(keys: try MasterKeys(keys, source: "test"))
    }

    @Test func aSealedSecretOpensAtItsPlaceAndHidesThePlaintext() throws {
        let box = try box(MasterKeys.generateKey())
        let secret = Data("JBSWY3DPEHPK3PXP-secret".utf8)
        let location = Self.column.location(tenantID: tenant, rowID: row)
        let sealed = try box.seal(secret, at: location)
        #expect(sealed.keyID == box.keys.current.id)
        #expect(sealed.ciphertext.count == 12 + secret.count + 16)
        #expect(sealed.ciphertext.range(of: secret) == nil)
        #expect(try box.open(sealed, at: location) == secret)
        // A fresh nonce each time: the same secret never seals to the same bytes.
        #expect(try box.seal(secret, at: location).ciphertext != sealed.ciphertext)
    }

    @Test func theKeyIDIsTheFirstEightHexDigitsOfTheKeysSHA256() throws {
        let material = Data((0..<32).map { UInt8($0) })
        let keys = try MasterKeys([SymmetricKey(data: material)], source: "test")
        let expected = SHA256.hash(data: material).prefix(4).map { String(format: "%02x", $0) }.joined()
        #expect(keys.current.id == expected)
        #expect(keys.current.id.count == 8)
    }

    @Test func aSecretSealedUnderAnUnknownKeyFailsNamingThatKeyID() throws {
        let sealer = try box(MasterKeys.generateKey())
        let location = Self.column.location(tenantID: tenant, rowID: row)
        let sealed = try sealer.seal(Data("secret".utf8), at: location)
        let stranger = try box(MasterKeys.generateKey())
        #expect(throws: SecretError.missingKey(id: sealer.keys.current.id, needed: "to open users.totp_secret")) {
            try stranger.open(sealed, at: location)
        }
        do {
            _ = try stranger.open(sealed, at: location)
        } catch {
            #expect("\(error)".contains(sealer.keys.current.id))
        }
    }

    @Test func aTamperedCiphertextIsRejected() throws {
        let box = try box(MasterKeys.generateKey())
        let location = Self.column.location(tenantID: tenant, rowID: row)
        let sealed = try box.seal(Data("secret".utf8), at: location)
        for index in [0, 12, sealed.ciphertext.count - 1] {
            var bytes = sealed.ciphertext
            bytes[bytes.startIndex + index] ^= 0x01
            #expect(throws: SecretError.rejected(keyID: sealed.keyID, location: location.description)) {
                try box.open(SealedSecret(keyID: sealed.keyID, ciphertext: bytes), at: location)
            }
        }
        #expect(throws: SecretError.self) {
            try box.open(SealedSecret(keyID: sealed.keyID, ciphertext: sealed.ciphertext.prefix(20)), at: location)
        }
    }

    @Test func aCiphertextCopiedToAnotherRowColumnOrTenantDoesNotOpen() throws {
        let box = try box(MasterKeys.generateKey())
        let sealed = try box.seal(Data("secret".utf8), at: Self.column.location(tenantID: tenant, rowID: row))
        for elsewhere in [
            Self.column.location(tenantID: tenant, rowID: UUID()),
            Self.column.location(tenantID: UUID(), rowID: row),
            Self.other.location(tenantID: tenant, rowID: row),
            SecretColumn(table: "users", name: "totp_pending_secret").location(tenantID: tenant, rowID: row),
        ] {
            #expect(throws: SecretError.rejected(keyID: sealed.keyID, location: elsewhere.description)) {
                try box.open(sealed, at: elsewhere)
            }
        }
    }

    @Test func theFirstKeySealsAndEveryKeyOpens() throws {
        let old = MasterKeys.generateKey(), new = MasterKeys.generateKey()
        let location = Self.column.location(tenantID: tenant, rowID: row)
        let before = try box(old).seal(Data("secret".utf8), at: location)
        let rotated = try box(new, old)
        let after = try rotated.seal(Data("secret".utf8), at: location)
        #expect(after.keyID == rotated.keys.current.id && after.keyID != before.keyID)
        #expect(try rotated.open(before, at: location) == Data("secret".utf8))
        #expect(try rotated.open(after, at: location) == Data("secret".utf8))
    }

    @Test func keysParseFromACommaSeparatedListWithoutEchoingABadOne() throws {
        let first = MasterKeys.generateKey(), second = MasterKeys.generateKey()
        let base64 = [first, second].map { key in key.withUnsafeBytes { Data($0).base64EncodedString() } }
        let keys = try MasterKeys(parsing: " \(base64[0]) , \(base64[1]),\(base64[0])", source: "KEFU_MASTER_KEY")
        #expect(keys.all.map(\.base64) == base64)
        #expect(keys.environmentValue == base64.joined(separator: ","))

        let short = Data(repeating: 7, count: 16).base64EncodedString()
        do {
            _ = try MasterKeys(parsing: "\(base64[0]),\(short)", source: "KEFU_MASTER_KEY")
            Issue.record("a 16-byte key was accepted")
        } catch {
            #expect("\(error)".contains("key 2 is not 32 bytes"))
            #expect(!"\(error)".contains(short) && !"\(error)".contains(base64[0]))
        }
        #expect(throws: SecretError.self) { try MasterKeys(parsing: " , ", source: "KEFU_MASTER_KEY") }
    }

    @Test func makingAKeyCurrentMovesOrAddsItToTheFront() throws {
        let a = MasterKeys.generateKey(), b = MasterKeys.generateKey(), c = MasterKeys.generateKey()
        let keys = try MasterKeys([a, b], source: "test")
        let ids = keys.all.map(\.id)
        #expect(try keys.making(current: b).all.map(\.id) == [ids[1], ids[0]])
        let added = try keys.making(current: c)
        #expect(added.all.count == 3 && Array(added.all.map(\.id).suffix(2)) == ids)
    }
}
