import ArgumentParser
import Foundation

/// Random knowledge for the retrieval benchmarks: documents of 100 sections, half Chinese and
/// half English (words drawn from a fixed vocabulary), added over the API; questions drawn the
/// same way, or taken from what was indexed (`question()`: words that are in the knowledge).
struct KnowledgeCorpus {
    private var random = SystemRandomNumberGenerator()
    private let vocabulary: [String]
    /// Pieces of indexed sections: questions that the knowledge answers.
    private var indexed: [String] = []

    init() {
        var random = SystemRandomNumberGenerator()
        vocabulary = (0..<3_000).map { _ in
            String((0..<Int.random(in: 3...9, using: &random)).map { _ in Character(Unicode.Scalar(UInt8.random(in: 97...122, using: &random))) })
        }
    }

    mutating func chinese(_ count: Int) -> String {
        String(String.UnicodeScalarView((0..<count).map { _ in Unicode.Scalar(UInt32.random(in: 0x4E00...0x62FF, using: &random))! }))
    }

    mutating func english(_ count: Int) -> String {
        (0..<count).map { _ in vocabulary.randomElement(using: &random)! }.joined(separator: " ")
    }

    /// Adds documents until the tenant holds about `chunks` more chunks; returns how long it took.
    mutating func index(chunks: Int, connection: HTTPConnection, token: String) throws -> Duration {
        let started = ContinuousClock.now
        for document in 0..<((chunks + 99) / 100) {
            var body = ""
            for section in 0..<100 {
                let text = section.isMultiple(of: 2) ? chinese(120) : english(60)
                body += section.isMultiple(of: 2)
                    ? "# 第\(section)节 \(chinese(4))\n\n\(text)。\(chinese(80))。\n\n"
                    : "# Section \(section) \(english(3))\n\n\(text). \(english(40)).\n\n"
                if indexed.count < 2_000 {
                    indexed.append(section.isMultiple(of: 2) ? String(text.prefix(12))
                                   : text.split(separator: " ").prefix(6).joined(separator: " "))
                }
            }
            let json = try JSONSerialization.data(withJSONObject: ["title": "Manual \(document)", "format": "markdown", "body": body])
            let answer = try connection.request("POST", "/api/v1/knowledge/documents", json: Array(json), bearer: token)
            guard answer.status == 201 else {
                throw ValidationError("adding a document answered \(answer.status): \(String(decoding: answer.body.prefix(300), as: UTF8.self))")
            }
        }
        return ContinuousClock.now - started
    }

    /// A question the knowledge holds an answer to (Chinese and English in turn).
    mutating func question() -> String {
        indexed.isEmpty ? english(6) : indexed.randomElement(using: &random)!
    }

    /// Times `searches` knowledge searches per language, back to back on one connection.
    mutating func timeSearches(_ searches: Int, connection: HTTPConnection, token: String, label: String) throws {
        for (language, chineseQuestion) in [("Chinese", true), ("English", false)] {
            var sample = LatencySample()
            for _ in 0..<searches {
                let question = chineseQuestion ? chinese(12) : english(6)
                let query = question.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? ""
                let start = ContinuousClock.now
                let answer = try connection.request("GET", "/api/v1/knowledge/search?q=\(query)", bearer: token)
                guard answer.status == 200 else { throw ValidationError("search answered \(answer.status)") }
                sample.record(ContinuousClock.now - start)
            }
            print(sample.summary("search \(label), \(language) question"))
        }
    }
}
