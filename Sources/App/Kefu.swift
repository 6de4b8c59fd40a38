import ArgumentParser
import Foundation
import Auth
import Tenancy

/// `kefu`: the Kefu server and its administration commands.
@main
struct Kefu: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kefu",
        abstract: "Kefu, the self-hosted customer-service platform.",
        discussion: "Settings come from KEFU_* environment variables and DATABASE_URL; see the README.",
        version: KefuVersion.current,
        subcommands: [ServeCommand.self, MigrateCommand.self, TenantCommand.self, AuditCommand.self, SecretsCommand.self],
        defaultSubcommand: ServeCommand.self
    )

    /// Known failures (bad settings, unreachable database, refused migrations) print one line
    /// and exit 1, never a stack trace; usage errors keep ArgumentParser's help.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as ConfigurationError {
            fail(error.description)
        } catch let error as DatabaseError {
            fail(error.description)
        } catch let error as TenantError {
            fail(error.description)
        } catch let error as AccountError {
            fail(error.description)
        } catch let error as SecretError {
            fail(error.description)
        } catch let error as CommandFailure {
            fail(error.message)
        } catch {
            exit(withError: error)
        }
    }

    private static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("kefu: \(message)\n".utf8))
        Foundation.exit(1)
    }
}

/// A command that could not do its job, in one line for the operator.
struct CommandFailure: Error {
    let message: String
}
