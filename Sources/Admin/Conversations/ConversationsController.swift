import Auth
import Foundation
import Hummingbird
import Realtime

/// `/api/v1/conversations`: the inbox over REST — list with filters and text search, one
/// conversation, its messages by `seq`, replies and notes, and assign/transfer, resolve,
/// reopen. The same rules as the agent socket apply (`ConversationService`).
public struct ConversationsController: Sendable {
    let queries: ConversationQueries
    let service: ConversationService
    let maxBodyBytes: Int

    public init(queries: ConversationQueries, service: ConversationService, maxBodyBytes: Int) {
        self.queries = queries
        self.service = service
        self.maxBodyBytes = maxBodyBytes
    }

    struct MessagesView: ResponseEncodable {
        let items: [MessageView]
    }

    struct ReplyRequest: APIRequestBody {
        var clientId: String
        var text: String
        var note: Bool?
        enum CodingKeys: String, CodingKey, CaseIterable { case clientId, text, note }
    }

    struct StatusRequest: APIRequestBody {
        var status: Conversation.Status
        var until: Date?
        enum CodingKeys: String, CodingKey, CaseIterable { case status, until }
    }

    struct AssignRequest: APIRequestBody {
        var agentId: UUID?
        var teamId: UUID?
        enum CodingKeys: String, CodingKey, CaseIterable { case agentId, teamId }

        func validate() throws {
            guard (agentId == nil) != (teamId == nil) else {
                throw APIError.validation(field: "agentId", "give exactly one of agentId and teamId")
            }
        }
    }

    public func addRoutes(to group: RouterGroup<KefuRequestContext>) {
        group.on(.get, "conversations", access: .signedIn, use: list)
        group.on(.get, "conversations/counts", access: .signedIn, use: counts)
        group.on(.get, "conversations/{id}", access: .signedIn, use: get)
        group.on(.get, "conversations/{id}/messages", access: .signedIn, use: messages)
        group.on(.post, "conversations/{id}/messages", access: .permission(.conversationsReply), use: reply)
        group.on(.post, "conversations/{id}/assign", access: .signedIn, use: assign)
        group.on(.post, "conversations/{id}/accept", access: .permission(.conversationsReply), use: accept)
        group.on(.post, "conversations/{id}/resolve", access: .signedIn, use: resolve)
        group.on(.post, "conversations/{id}/status", access: .signedIn, use: setStatus)
        group.on(.post, "conversations/{id}/reopen", access: .permission(.conversationsReply), use: reopen)
    }

    @Sendable func list(request: Request, context: KefuRequestContext) async throws -> PageView<ListedConversationView> {
        let principal = try context.requirePrincipal()
        var errors: [APIError.FieldError] = []
        var page = request.pageRequest(collecting: &errors)
        var byActivity = false
        switch request.uri.queryParameters["order"] {
        case nil, "asc": break
        case "desc": page.descending = true
        case "activity": byActivity = true
        default: errors.append(.init(field: "order", message: "expected asc, desc or activity"))
        }
        var filter = Self.filter(request.uri.queryParameters, text: request.formParameter("q"), errors: &errors)
        if !errors.isEmpty { throw APIError.validation(errors) }
        // Without conversations.read an agent lists their own conversations only (Mine, a
        // visitor's past conversations in the visitor panel), as the agent socket shows them.
        if !principal.has(.conversationsRead) {
            switch filter.assigneeID {
            case nil: filter.assigneeID = .some(principal.userID)
            case .some(principal.userID): break
            default: throw RealtimeError.forbidden("Listing other agents' conversations needs conversations.read.")
            }
        }
        return PageView(try await queries.list(filter, page: page, byActivity: byActivity, tenantID: principal.tenantID), ListedConversationView.init)
    }

    @Sendable func counts(request: Request, context: KefuRequestContext) async throws -> CountsView {
        CountsView(counts: try await queries.counts(for: try context.requirePrincipal()))
    }

    struct CountsView: ResponseEncodable {
        let counts: ConversationQueries.Counts
        func encode(to encoder: any Encoder) throws { try counts.encode(to: encoder) }
    }

    /// `text`: the `q` parameter, read as a form value (`+` is a space).
    static func filter(_ parameters: Parameters, text: String?, errors: inout [APIError.FieldError]) -> ConversationQueries.Filter {
        var filter = ConversationQueries.Filter()
        func uuid(_ name: String) -> UUID? {
            guard let text = parameters[Substring(name)] else { return nil }
            guard let id = UUID(uuidString: String(text)) else {
                errors.append(.init(field: name, message: "expected a UUID"))
                return nil
            }
            return id
        }
        func date(_ name: String) -> Date? {
            guard let text = parameters[Substring(name)] else { return nil }
            guard let date = try? Date(String(text), strategy: .iso8601) else {
                errors.append(.init(field: name, message: "expected an ISO 8601 date-time like 2026-11-23T08:00:00Z"))
                return nil
            }
            return date
        }
        if let statuses = parameters["status"] {
            for name in statuses.split(separator: ",") {
                if let status = Conversation.Status(rawValue: String(name)) { filter.statuses.append(status) } else {
                    errors.append(.init(field: "status", message: "expected a comma-separated list of \(Conversation.Status.allCases.map(\.rawValue).joined(separator: ", "))"))
                }
            }
        }
        if parameters["assigneeId"] == "none" { filter.assigneeID = .some(nil) } else if let id = uuid("assigneeId") { filter.assigneeID = .some(id) }
        filter.teamID = uuid("teamId")
        filter.widgetID = uuid("widgetId")
        filter.visitorID = uuid("visitorId")
        filter.createdAfter = date("createdAfter")
        filter.createdBefore = date("createdBefore")
        if let text {
            if (1...200).contains(text.count) { filter.text = text } else { errors.append(.init(field: "q", message: "expected 1 to 200 characters")) }
        }
        return filter
    }

    @Sendable func get(request: Request, context: KefuRequestContext) async throws -> ConversationView {
        ConversationView(try await queries.get(try context.id(), for: try context.requirePrincipal()))
    }

    @Sendable func messages(request: Request, context: KefuRequestContext) async throws -> MessagesView {
        let parameters = request.uri.queryParameters
        var errors: [APIError.FieldError] = []
        func seq(_ name: String) -> Int64? {
            guard let text = parameters[Substring(name)] else { return nil }
            guard let value = Int64(text), value >= 0 else {
                errors.append(.init(field: name, message: "expected a seq (an integer ≥ 0)"))
                return nil
            }
            return value
        }
        let before = seq("before")
        let after = seq("after")
        var limit = 50
        if let text = parameters["limit"] {
            if let value = Int(text), (1...200).contains(value) { limit = value } else { errors.append(.init(field: "limit", message: "expected an integer from 1 to 200")) }
        }
        if before != nil && after != nil { errors.append(.init(field: "after", message: "give before or after, not both")) }
        if !errors.isEmpty { throw APIError.validation(errors) }
        let messages = try await queries.messages(try context.id(), before: before, after: after, limit: limit, for: try context.requirePrincipal())
        return MessagesView(items: messages.map(MessageView.init))
    }

    @Sendable func reply(request: Request, context: KefuRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let body = try await request.decodeJSON(ReplyRequest.self, limit: maxBodyBytes)
        let result = try await service.reply(try context.id(), text: body.text, clientID: body.clientId, note: body.note ?? false, by: principal)
        var response = try MessageView(result.message).response(from: request, context: context)
        response.status = result.duplicate ? .ok : .created
        return response
    }

    @Sendable func assign(request: Request, context: KefuRequestContext) async throws -> ConversationView {
        let body = try await request.decodeJSON(AssignRequest.self, limit: maxBodyBytes)
        return ConversationView(try await service.assign(try context.id(), toAgent: body.agentId, toTeam: body.teamId, by: try context.requirePrincipal()))
    }

    @Sendable func accept(request: Request, context: KefuRequestContext) async throws -> ConversationView {
        ConversationView(try await service.accept(try context.id(), by: try context.requirePrincipal()))
    }

    @Sendable func resolve(request: Request, context: KefuRequestContext) async throws -> ConversationView {
        ConversationView(try await service.resolve(try context.id(), by: try context.requirePrincipal()))
    }

    @Sendable func setStatus(request: Request, context: KefuRequestContext) async throws -> ConversationView {
        let body = try await request.decodeJSON(StatusRequest.self, limit: maxBodyBytes)
        return ConversationView(try await service.setStatus(try context.id(), to: body.status, until: body.until, by: try context.requirePrincipal()))
    }

    @Sendable func reopen(request: Request, context: KefuRequestContext) async throws -> ConversationView {
        ConversationView(try await service.reopen(try context.id(), by: try context.requirePrincipal()))
    }
}

extension ConversationView: ResponseEncodable {}
extension MessageView: ResponseEncodable {}
