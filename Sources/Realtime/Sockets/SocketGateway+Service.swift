import NIOCore
import ServiceLifecycle

/// The gateway's part in shutdown: it holds the service group until this node's sockets have
/// closed.
///
/// The HTTP server's graceful shutdown asks every socket to quiesce (`reconnect`, then close
/// 1012), but the server's `run()` returns without waiting for upgraded channels to close: their
/// `handle` returned at upgrade. A socket that closes after that closes while the services behind
/// the server are stopping, and what its close starts (releasing an agent's presence, for one)
/// would be refused by the background work or find the pool closed. So the gateway runs as a
/// service added after the writer — it stops first of the realtime services — and waits for
/// every socket here to close; each does within about 2 s (`LiveSocket.close` forces it).
extension SocketGateway: Service {
    public func run() async {
        // Cancelled instead: nothing to wait for, the group is going away.
        guard (try? await gracefulShutdown()) != nil else { return }
        let sockets = hub.allSockets()
        // The server has asked them already; this covers one it did not track. A socket already
        // closing ignores it.
        for socket in sockets { socket.quiesce() }
        for socket in sockets { try? await socket.channel.closeFuture.get() }
    }
}
