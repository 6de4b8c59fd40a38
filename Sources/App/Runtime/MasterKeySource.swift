import Foundation
import Tenancy

/// Where a node's master keys come from: `KEFU_MASTER_KEY` when set (several nodes must share
/// their keys, so they all get the same value), otherwise `master.key` in the data directory,
/// created with a new key on first start.
enum MasterKeySource {
    case environment(MasterKeys)
    case file(MasterKeyFile)

    init(_ configuration: Configuration) {
        if let keys = configuration.masterKeys {
            self = .environment(keys)
        } else {
            self = .file(MasterKeyFile(directory: configuration.dataDirectory))
        }
    }

    /// The keys; for the key file, reads it or creates it. File I/O: call off the event loop.
    func load() throws -> MasterKeys {
        switch self {
        case .environment(let keys): keys
        case .file(let file): try file.loadOrCreate()
        }
    }

    var description: String {
        switch self {
        case .environment: "KEFU_MASTER_KEY"
        case .file(let file): file.url.path
        }
    }
}
