/// Admin owns Kefu's REST API under `/api`: the request context, controllers and their DTOs,
/// strict request decoding and validation, the problem+json error type, and the OpenAPI
/// document that describes every `/api` route.
///
/// Controllers hold their dependencies and call the services of Tenancy, Auth and Realtime;
/// they never write SQL themselves and never decide permissions ad hoc.
public enum Admin {
    /// The version of the REST API and of the OpenAPI document.
    public static let apiVersion = "1.0.0"
}
