import ArgumentParser
import Foundation
import Synchronization

/// Logins per second at full speed, and `/healthz` latency while they run compared with idle.
/// Argon2id costs ~19 MiB and tens of milliseconds per login; if it ran on the event loop, the
/// health check would queue behind it and its p99 would grow by that much.
struct LoginBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login", abstract: "Logins per second, and /healthz p99 idle versus during logins.")

    @Option(help: "The server, as http://IPv4:port.") var url = "http://127.0.0.1:8080"
    @Option var tenant = "demo"
    @Option var email = "owner@demo.kefu.local"
    @Option var password: String
    @Option(help: "Seconds per phase (idle, then under load).") var duration = 10
    @Option(help: "Concurrent login connections.") var concurrency = 8
    @Option(help: "Milliseconds between health probes.") var probeInterval = 5

    func run() throws {
        guard let parsed = URL(string: url), let host = parsed.host, let port = parsed.port else {
            throw ValidationError("--url must look like http://127.0.0.1:8080")
        }
        let loginBody = try JSONSerialization.data(withJSONObject: ["tenant": tenant, "email": email, "password": password])
        // One login first: a wrong password or a rate limit should stop the run, not skew it.
        let check = try HTTPConnection(host: host, port: port).request("POST", "/api/v1/auth/login", json: Array(loginBody))
        guard check.status == 200 else {
            throw ValidationError("login answered \(check.status): \(String(decoding: check.body, as: UTF8.self)) — check the credentials, and run the server with KEFU_API_RATE_LIMIT raised")
        }

        print("phase 1: /healthz alone for \(duration) s")
        let idle = try probeHealth(host: host, port: port, for: .seconds(duration))
        print("phase 2: /healthz while \(concurrency) connections log in for \(duration) s")
        let stop = Atomic<Bool>(false)
        let logins = Mutex((sample: LatencySample(), failures: 0, error: String?.none))
        let group = DispatchGroup()
        for _ in 0..<concurrency {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                do {
                    let connection = try HTTPConnection(host: host, port: port)
                    var sample = LatencySample()
                    var failures = 0
                    while !stop.load(ordering: .relaxed) {
                        let start = ContinuousClock.now
                        let response = try connection.request("POST", "/api/v1/auth/login", json: Array(loginBody))
                        if response.status == 200 { sample.record(ContinuousClock.now - start) } else { failures += 1 }
                    }
                    logins.withLock { $0.sample.merge(sample); $0.failures += failures }
                } catch {
                    logins.withLock { $0.error = "\(error)" }
                }
            }
        }
        let started = ContinuousClock.now
        let loaded = try probeHealth(host: host, port: port, for: .seconds(duration))
        stop.store(true, ordering: .relaxed)
        group.wait()
        let elapsed = ContinuousClock.now - started
        let result = logins.withLock { $0 }
        if let error = result.error { throw ValidationError("a login connection failed: \(error)") }

        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = Double(result.sample.count) / seconds
        print(idle.summary("healthz idle      "))
        print(loaded.summary("healthz in logins "))
        print(result.sample.summary("login             "))
        print(String(format: "logins per second: %.1f (%d failed)", rate, result.failures))
        print(String(format: "healthz p99 during logins / idle: %.2f", loaded.percentile(99) / max(idle.percentile(99), 0.001)))
        print(String(format: "healthz p50 during logins / idle: %.2f", loaded.percentile(50) / max(idle.percentile(50), 0.001)))
    }

    /// Probes `/healthz` on one connection every `probeInterval` ms for `length`.
    private func probeHealth(host: String, port: Int, for length: Duration) throws -> LatencySample {
        let connection = try HTTPConnection(host: host, port: port)
        var sample = LatencySample()
        let end = ContinuousClock.now + length
        while ContinuousClock.now < end {
            let start = ContinuousClock.now
            let response = try connection.request("GET", "/healthz")
            guard response.status == 200 else { throw ValidationError("/healthz answered \(response.status)") }
            sample.record(ContinuousClock.now - start)
            Thread.sleep(forTimeInterval: Double(probeInterval) / 1000)
        }
        return sample
    }
}
