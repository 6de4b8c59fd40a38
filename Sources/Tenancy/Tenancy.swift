/// Tenancy owns Kefu's access to PostgreSQL and the walls between tenants.
///
/// It provides the serving `Database` (every query inside a tenant-scoped
/// transaction, run as the restricted `kefu_app` role under row-level
/// security), the migration runner, the private local cluster used when
/// `DATABASE_URL` is unset, the tenants themselves, and the sealing of secrets at rest
/// (`SecretBox` under the master keys, `StoredSecrets` for the passes over every tenant).
/// It also holds what every module above shares: keyset paging, `InvalidFields` (the
/// field-validation error), `Watchdog` (deadlines without a timer each), and the sensitive-word
/// matcher (`WordNormalizer`, `WordAutomaton`, `WordMatcher` in `Words/`).
///
/// It must never hand out a connection that runs as the table owner for
/// serving, and never build SQL by concatenating values: values are always
/// bind parameters.
public enum Tenancy {
    /// The restricted role every serving connection runs as. Migrations create it.
    public static let servingRole = "kefu_app"
}
