import Foundation
import Realtime

/// The OpenAPI description of `/api/v1/conversations` and `/api/v1/visitors`.
extension ConversationsController {
    static let conversationSchema: JSONValue = [
        "type": "object",
        "required": ["id", "status", "widgetId", "visitorId", "lastSeq", "visitorReadSeq", "agentReadSeq", "unread", "createdAt"],
        "properties": [
            "id": ["type": "string", "format": "uuid"],
            "status": ["type": "string", "enum": ["bot", "queued", "open", "pending", "snoozed", "resolved"]],
            "widgetId": ["type": "string", "format": "uuid"], "visitorId": ["type": "string", "format": "uuid"],
            "teamId": ["type": "string", "format": "uuid"], "assigneeId": ["type": "string", "format": "uuid"],
            "assigneeName": ["type": "string", "description": "The assignee's display name"],
            "lastSeq": ["type": "integer", "description": "seq of the latest message"],
            "visitorReadSeq": ["type": "integer"], "agentReadSeq": ["type": "integer"],
            "unread": ["type": "integer", "description": "The visitor's messages after agentReadSeq (events, notes and replies are not counted; at most 1,000)"],
            "queuedAt": ["type": "string", "format": "date-time"], "assignedAt": ["type": "string", "format": "date-time"],
            "resolvedAt": ["type": "string", "format": "date-time"], "lastMessageAt": ["type": "string", "format": "date-time"],
            "csatRating": ["type": "integer", "minimum": 1, "maximum": 5], "createdAt": ["type": "string", "format": "date-time"],
            "snoozedUntil": ["type": "string", "format": "date-time"],
        ],
    ]

    static let messageSchema: JSONValue = [
        "type": "object", "required": ["conversationId", "seq", "id", "senderType", "kind", "text", "createdAt"],
        "properties": [
            "conversationId": ["type": "string", "format": "uuid"], "seq": ["type": "integer"], "id": ["type": "string", "format": "uuid"],
            "senderType": ["type": "string", "enum": ["visitor", "agent", "bot", "system"]], "senderId": ["type": "string", "format": "uuid"],
            "senderName": ["type": "string", "description": "An agent sender's display name"],
            "kind": ["type": "string", "enum": ["text", "attachment", "note", "event"],
                     "description": "note: agents only; event: a system event whose text is JSON such as {\"event\":\"assigned\",\"agentId\":\"…\"}"],
            "text": ["type": "string"], "attachmentId": ["type": "string", "format": "uuid"], "clientId": ["type": "string"],
            "createdAt": ["type": "string", "format": "date-time"],
        ],
    ]

    /// A list row: the conversation's fields, its visitor's name and email, and its latest message.
    static let listedSchema: JSONValue = {
        guard case .object(var schema) = conversationSchema, case .object(var properties)? = schema["properties"] else { return conversationSchema }
        properties["visitor"] = ["type": "object", "required": ["name", "email"],
                                 "properties": ["name": ["type": "string"], "email": ["type": "string"]]]
        properties["lastMessage"] = ["type": "object", "required": ["seq", "kind", "senderType", "text"], "description": "The latest text, note or file",
                                     "properties": ["seq": ["type": "integer"], "kind": ["type": "string", "enum": ["text", "note", "attachment"]],
                                                    "senderType": ["type": "string", "enum": ["visitor", "agent", "bot", "system"]],
                                                    "text": ["type": "string", "maxLength": 200]]]
        schema["properties"] = .object(properties)
        return .object(schema)
    }()

    static let filterParameters: [JSONValue] = [
        ["name": "order", "in": "query",
         "description": "asc (oldest first, the default), desc (newest first) or activity (most recent activity first: the last message's time, else the creation's)",
         "schema": ["type": "string", "enum": ["asc", "desc", "activity"]]],
        ["name": "status", "in": "query", "description": "Comma-separated statuses", "schema": ["type": "string", "examples": ["queued,open"]]],
        ["name": "assigneeId", "in": "query", "description": "An agent's id, or none for unassigned", "schema": ["type": "string"]],
        ["name": "teamId", "in": "query", "schema": ["type": "string", "format": "uuid"]],
        ["name": "widgetId", "in": "query", "schema": ["type": "string", "format": "uuid"]],
        ["name": "visitorId", "in": "query", "schema": ["type": "string", "format": "uuid"]],
        ["name": "createdAfter", "in": "query", "schema": ["type": "string", "format": "date-time"]],
        ["name": "createdBefore", "in": "query", "schema": ["type": "string", "format": "date-time"]],
        ["name": "q", "in": "query", "description": "Text in a message (or note) or in the visitor's name or email",
         "schema": ["type": "string", "maxLength": 200]],
    ]

    static func action(_ id: String, _ summary: String, access: Access, body: JSONValue? = nil) -> JSONValue {
        OpenAPIDocument.operation(
            id, summary, tag: "conversations", access: access, parameters: [OpenAPIDocument.idParameter], body: body,
            responses: ["200": OpenAPIDocument.json("The conversation after the change", conversationSchema),
                        "404": OpenAPIDocument.problem, "409": OpenAPIDocument.problem])
    }

    public static let openAPIPaths: JSONValue = [
        "/api/v1/conversations": [
            "get": OpenAPIDocument.operation(
                "listConversations",
                "Conversations in creation order (or newest first), filtered, with their visitors and latest messages. Without conversations.read: the caller's own (assigneeId is the caller; another is 403)",
                tag: "conversations", access: .signedIn,
                parameters: OpenAPIDocument.pageParameters + filterParameters,
                responses: ["200": OpenAPIDocument.json("A page of conversations", PageView<ListedConversationView>.schema(listedSchema)),
                            "422": OpenAPIDocument.problem]),
        ],
        "/api/v1/conversations/counts": [
            "get": OpenAPIDocument.operation(
                "countConversations", "How many conversations each inbox view holds (all of the tenant's with conversations.read, else the caller's own)",
                tag: "conversations", access: .signedIn,
                responses: ["200": OpenAPIDocument.json("Counts", [
                    "type": "object", "required": ["mine", "queued", "open", "pending", "snoozed", "resolved"],
                    "properties": [
                        "mine": ["type": "integer", "description": "assigned to the caller and not resolved"], "queued": ["type": "integer"],
                        "open": ["type": "integer"], "pending": ["type": "integer"], "snoozed": ["type": "integer"], "resolved": ["type": "integer"],
                    ],
                ])]),
        ],
        "/api/v1/conversations/{id}": [
            "get": OpenAPIDocument.operation(
                "getConversation", "One conversation (the caller's own, or any with conversations.read)", tag: "conversations", access: .signedIn,
                parameters: [OpenAPIDocument.idParameter],
                responses: ["200": OpenAPIDocument.json("The conversation", conversationSchema), "404": OpenAPIDocument.problem]),
        ],
        "/api/v1/conversations/{id}/messages": [
            "get": OpenAPIDocument.operation(
                "listMessages", "Messages by seq: the latest (or those before `before`), or those after `after`; oldest first",
                tag: "conversations", access: .signedIn,
                parameters: [OpenAPIDocument.idParameter,
                             ["name": "before", "in": "query", "schema": ["type": "integer", "minimum": 0]],
                             ["name": "after", "in": "query", "schema": ["type": "integer", "minimum": 0]],
                             ["name": "limit", "in": "query", "schema": ["type": "integer", "minimum": 1, "maximum": 200, "default": 50]]],
                responses: ["200": OpenAPIDocument.json("Messages", ["type": "object", "required": ["items"],
                                                                      "properties": ["items": ["type": "array", "items": messageSchema]]]),
                            "404": OpenAPIDocument.problem, "422": OpenAPIDocument.problem]),
            "post": OpenAPIDocument.operation(
                "replyToConversation", "Reply (the assignee, or conversations.assign) or add a private note; answers once committed. The tenant's sensitive-word rules apply first: masked text is stored masked",
                tag: "conversations", access: .permission(.conversationsReply), parameters: [OpenAPIDocument.idParameter],
                body: ["type": "object", "additionalProperties": false, "required": ["clientId", "text"], "properties": [
                    "clientId": ["type": "string", "minLength": 1, "maxLength": 64, "description": "The same on every retry: a retry is stored once"],
                    "text": ["type": "string"], "note": ["type": "boolean", "default": false],
                ]],
                responses: ["201": OpenAPIDocument.json("Stored", messageSchema), "200": OpenAPIDocument.json("Already stored (a retry)", messageSchema),
                            "404": OpenAPIDocument.problem, "409": OpenAPIDocument.problem,
                            "422": ["description": "Invalid, or content-blocked: a sensitive-word rule blocks the text (category names the rule's category; nothing was stored)",
                                    "content": ["application/problem+json": ["schema": ["$ref": "#/components/schemas/Problem"]]]]]),
        ],
        "/api/v1/conversations/{id}/assign": [
            "post": action("assignConversation", "Assign or transfer to an agent, or move to a team's queue (own conversations, or conversations.assign)",
                           access: .signedIn, body: ["type": "object", "additionalProperties": false, "properties": [
                               "agentId": ["type": "string", "format": "uuid"], "teamId": ["type": "string", "format": "uuid"],
                           ]]),
        ],
        "/api/v1/conversations/{id}/accept": [
            "post": action("acceptConversation", "Take a queued conversation; of two at once, one wins (409 for the other)",
                           access: .permission(.conversationsReply)),
        ],
        "/api/v1/conversations/{id}/resolve": [
            "post": action("resolveConversation", "Resolve (own conversations, or conversations.assign)", access: .signedIn),
        ],
        "/api/v1/conversations/{id}/status": [
            "post": action("setConversationStatus",
                           "Set an assigned conversation open, pending (waiting on the visitor) or snoozed until a time (own conversations, or conversations.assign)",
                           access: .signedIn, body: ["type": "object", "additionalProperties": false, "required": ["status"], "properties": [
                               "status": ["type": "string", "enum": ["open", "pending", "snoozed"]],
                               "until": ["type": "string", "format": "date-time", "description": "For snoozed: when it opens again (within 30 days)"],
                           ]]),
        ],
        "/api/v1/conversations/{id}/reopen": [
            "post": action("reopenConversation", "Reopen a resolved conversation into the queue", access: .permission(.conversationsReply)),
        ],
    ]
}
