import Tenancy

/// Master keys for tests: each call makes a new random key.
public enum TestSecrets {
    /// A box with one new master key, for services that store secrets in-process.
    public static func box() throws -> SecretBox {
        SecretBox(keys: try keys())
    }

    public static func keys() throws -> MasterKeys {
        try MasterKeys([MasterKeys.generateKey()], source: "test")
    }

    /// A `KEFU_MASTER_KEY` value holding one new key, for `kefu` processes that must share it.
    public static func environmentValue() throws -> String {
        try keys().environmentValue
    }
}
