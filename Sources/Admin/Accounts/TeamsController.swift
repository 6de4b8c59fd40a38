import Auth
import Foundation
import Hummingbird

/// `/api/v1/teams`: teams and their members, managed with `teams.manage`.
public struct TeamsController: Sendable {
    let teams: TeamAdministration
    let maxBodyBytes: Int

    public init(teams: TeamAdministration, maxBodyBytes: Int) {
        self.teams = teams
        self.maxBodyBytes = maxBodyBytes
    }

    struct TeamView: ResponseEncodable, Codable, Sendable {
        let id: UUID
        let name: String
        let memberIds: [UUID]
        let createdAt: Date

        init(_ team: Team) {
            id = team.id
            name = team.name
            memberIds = team.memberIDs
            createdAt = team.createdAt
        }
    }

    struct CreateRequest: APIRequestBody {
        let name: String
        let memberIds: [UUID]?

        enum CodingKeys: String, CodingKey, CaseIterable { case name, memberIds }
    }

    struct UpdateRequest: APIRequestBody {
        let name: String?
        let memberIds: [UUID]?

        enum CodingKeys: String, CodingKey, CaseIterable { case name, memberIds }
    }

    public func addRoutes(to group: RouterGroup<KefuRequestContext>) {
        group.on(.get, "teams", access: .permission(.teamsManage), use: list)
        group.on(.post, "teams", access: .permission(.teamsManage), use: create)
        group.on(.get, "teams/{id}", access: .permission(.teamsManage), use: get)
        group.on(.patch, "teams/{id}", access: .permission(.teamsManage), use: update)
        group.on(.delete, "teams/{id}", access: .permission(.teamsManage), use: delete)
    }

    @Sendable func list(request: Request, context: KefuRequestContext) async throws -> PageView<TeamView> {
        let principal = try context.requirePrincipal()
        return PageView(try await teams.list(page: try request.pageRequest(), tenantID: principal.tenantID), TeamView.init)
    }

    @Sendable func create(request: Request, context: KefuRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let body = try await request.decodeJSON(CreateRequest.self, limit: maxBodyBytes)
        let team = try await teams.create(name: body.name, memberIDs: body.memberIds ?? [], by: principal, origin: context.origin(request))
        var response = try TeamView(team).response(from: request, context: context)
        response.status = .created
        response.headers[.location] = "/api/v1/teams/\(team.id.uuidString.lowercased())"
        return response
    }

    @Sendable func get(request: Request, context: KefuRequestContext) async throws -> TeamView {
        let principal = try context.requirePrincipal()
        return TeamView(try await teams.get(try context.id(), tenantID: principal.tenantID))
    }

    @Sendable func update(request: Request, context: KefuRequestContext) async throws -> TeamView {
        let principal = try context.requirePrincipal()
        let id = try context.id()
        let body = try await request.decodeJSON(UpdateRequest.self, limit: maxBodyBytes)
        return TeamView(try await teams.update(id, name: body.name, memberIDs: body.memberIds, by: principal, origin: context.origin(request)))
    }

    @Sendable func delete(request: Request, context: KefuRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        try await teams.delete(try context.id(), by: principal, origin: context.origin(request))
        return Response(status: .noContent)
    }

    static let teamSchema: JSONValue = [
        "type": "object", "required": ["id", "name", "memberIds", "createdAt"],
        "properties": [
            "id": ["type": "string", "format": "uuid"], "name": ["type": "string"],
            "memberIds": UsersController.uuidArray, "createdAt": ["type": "string", "format": "date-time"],
        ],
    ]

    public static let openAPIPaths: JSONValue = [
        "/api/v1/teams": [
            "get": OpenAPIDocument.operation(
                "listTeams", "The tenant's teams in creation order", tag: "teams", access: .permission(.teamsManage),
                parameters: OpenAPIDocument.pageParameters,
                responses: ["200": OpenAPIDocument.json("A page of teams", PageView<TeamView>.schema(teamSchema)), "422": OpenAPIDocument.problem]),
            "post": OpenAPIDocument.operation(
                "createTeam", "Create a team", tag: "teams", access: .permission(.teamsManage),
                body: [
                    "type": "object", "additionalProperties": false, "required": ["name"],
                    "properties": ["name": ["type": "string", "maxLength": 100], "memberIds": UsersController.uuidArray],
                ],
                responses: ["201": OpenAPIDocument.json("Created", teamSchema), "409": OpenAPIDocument.problem]),
        ],
        "/api/v1/teams/{id}": [
            "get": OpenAPIDocument.operation(
                "getTeam", "One team", tag: "teams", access: .permission(.teamsManage), parameters: [OpenAPIDocument.idParameter],
                responses: ["200": OpenAPIDocument.json("The team", teamSchema), "404": OpenAPIDocument.problem]),
            "patch": OpenAPIDocument.operation(
                "updateTeam", "Rename a team or replace its members", tag: "teams", access: .permission(.teamsManage),
                parameters: [OpenAPIDocument.idParameter],
                body: [
                    "type": "object", "additionalProperties": false,
                    "properties": ["name": ["type": "string", "maxLength": 100], "memberIds": UsersController.uuidArray],
                ],
                responses: ["200": OpenAPIDocument.json("The changed team", teamSchema), "404": OpenAPIDocument.problem, "409": OpenAPIDocument.problem]),
            "delete": OpenAPIDocument.operation(
                "deleteTeam", "Delete a team", tag: "teams", access: .permission(.teamsManage), parameters: [OpenAPIDocument.idParameter],
                responses: ["204": ["description": "Deleted"], "404": OpenAPIDocument.problem]),
        ],
    ]
}
