extension OpenAPIDocument {
    /// One operation, with what every Kefu operation carries: its access rule as
    /// `x-permission`, the security schemes when it needs a caller, and the error responses its
    /// access and body imply.
    static func operation(
        _ operationID: String, _ summary: String, tag: String, access: Access,
        parameters: [JSONValue] = [], body: JSONValue? = nil, responses: JSONValue
    ) -> JSONValue {
        var operation: [String: JSONValue] = [
            "operationId": .string(operationID), "summary": .string(summary), "tags": [.string(tag)],
            "x-permission": .string(access.documentation),
        ]
        if !parameters.isEmpty { operation["parameters"] = .array(parameters) }
        var allResponses = responses
        if let body {
            operation["requestBody"] = jsonBody(body)
            allResponses = responsesWithBody(allResponses)
        }
        if case .everyone = access {
            allResponses = commonErrorResponses.merging(allResponses)
        } else {
            operation["security"] = signedIn
            allResponses = signedInResponses(allResponses)
        }
        operation["responses"] = allResponses
        return .object(operation)
    }
}
