import Foundation

/// Finds the principal behind a presented bearer secret, whichever kind it is.
public struct Authenticator: Sendable {
    public let sessions: SessionStore
    public let tokens: ApiTokenStore

    public init(sessions: SessionStore, tokens: ApiTokenStore) {
        self.sessions = sessions
        self.tokens = tokens
    }

    public func authenticate(bearer presented: String) async throws -> Principal? {
        switch OpaqueToken(parsing: presented)?.kind {
        case .session: try await sessions.authenticate(presented)
        case .api: try await tokens.authenticate(presented)
        case nil: nil
        }
    }
}
