import Auth
import Realtime
import Tenancy

/// Every column that stores a secret sealed at rest. Start-up (`SecretsStartup`) and
/// `kefu secrets rotate-key` work through this list, so a new kind of secret is one line here plus its migration; a test checks that every `*_sealed` column of
/// the schema is listed.
enum SecretRegistry {
    static let columns: [SecretColumn] = [
        TwoFactorService.secretColumn,
        TwoFactorService.pendingSecretColumn,
        WidgetStore.identitySecretColumn,
        BotProviderStore.apiKeyColumn,
    ]
}
