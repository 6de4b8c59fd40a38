/// `kefu-bench`: Kefu's load generator and benchmark scenarios. It drives a running `kefu serve`
/// over real sockets and reports figures as ratios measured in one run, because the machines
/// it runs on are shared and noisy. `scripts/bench` builds in release, starts a server and
/// runs every scenario; BENCHMARKS.md records the results.
import ArgumentParser

@main
struct KefuBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kefu-bench",
        abstract: "Benchmarks a running Kefu server.",
        subcommands: [LoginBenchmark.self, IdleSocketsBenchmark.self, IdleSocketsWorker.self, MessagesBenchmark.self, WordsBenchmark.self,
                      KnowledgeBenchmark.self, BotBenchmark.self])
}
