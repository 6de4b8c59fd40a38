/// An error of a request from another origin that the route accepted (a widget's upload from an
/// allowed page): answered as `underlying` would be, with CORS headers for `origin`, so the page
/// can read why it was refused instead of seeing an opaque network failure.
public struct CrossOriginError: Error {
    public let origin: String
    public let underlying: any Error
}
