import Foundation
import TestSupport

/// The example sessions of docs/protocol.md: fenced blocks opened with ```` ```session NAME ````,
/// one per side of the same conversation, read line by line:
///
/// - `   2. Prose` starts step 2. Steps with the same number happen together on both sides; a
///   side may have no lines in a step. Other indented lines are prose.
/// - `GET /ws/visitor?…   Origin: https://…` or `GET /ws/agent   Authorization: Bearer …`
///   opens that side's socket (closing the one before, with whatever it had not read).
/// - `→ {…}` is a frame the client sends; `← {…}` one the server sends, optionally followed by
///   `(may repeat)`.
struct ProtocolExamples {
    struct Session {
        let name: String
        var steps: [Int: [Line]] = [:]
    }

    enum Line {
        case connect(path: String, header: (name: String, value: String)?)
        case send(String)
        case expect(ExampleJSON, text: String, mayRepeat: Bool)
    }

    var sessions: [String: Session] = [:]

    static func load() throws -> ProtocolExamples {
        let url = TestDatabase.repositoryRoot.appendingPathComponent("docs/protocol.md")
        return try ProtocolExamples(markdown: String(contentsOf: url, encoding: .utf8))
    }

    init(markdown: String) throws {
        var current: Session?
        var step: Int?
        for (number, line) in markdown.components(separatedBy: "\n").enumerated() {
            func fail(_ why: String) -> ExampleJSON.SyntaxError {
                ExampleJSON.SyntaxError(description: "docs/protocol.md:\(number + 1): \(why)")
            }
            if current == nil {
                if line.hasPrefix("```session ") {
                    current = Session(name: String(line.dropFirst("```session ".count)).trimmingCharacters(in: .whitespaces))
                    step = nil
                }
                continue
            }
            if line.hasPrefix("```") {
                guard let session = current, sessions[session.name] == nil else { throw fail("a second session named the same") }
                sessions[session.name] = session
                current = nil
                continue
            }
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            if line.first?.isWhitespace == true {
                let prose = line.trimmingCharacters(in: .whitespaces)
                if let dot = prose.firstIndex(of: "."), let marker = Int(prose[..<dot]) {
                    guard marker > (step ?? 0) else { throw fail("step \(marker) comes after step \(step ?? 0)") }
                    step = marker
                    current?.steps[marker, default: []] = []
                }
                continue
            }
            guard let step else { throw fail("a frame before the first numbered step") }
            let parsed: Line
            if line.hasPrefix("GET ") {
                let parts = line.dropFirst(4).components(separatedBy: "   ").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                let header = parts.dropFirst().first.flatMap { text -> (name: String, value: String)? in
                    guard let colon = text.firstIndex(of: ":") else { return nil }
                    return (String(text[..<colon]), text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces))
                }
                parsed = .connect(path: parts.first ?? "", header: header)
            } else if line.hasPrefix("→ ") {
                let text = String(line.dropFirst(2))
                do { _ = try ExampleJSON.parse(text) } catch { throw fail("\(error)") }
                parsed = .send(text)
            } else if line.hasPrefix("← ") {
                do {
                    let (value, rest) = try ExampleJSON.parse(prefixOf: String(line.dropFirst(2)))
                    guard rest.isEmpty || rest == "(may repeat)" else { throw fail("\"\(rest)\" after a frame") }
                    parsed = .expect(value, text: String(line.dropFirst(2)), mayRepeat: !rest.isEmpty)
                } catch let error as ExampleJSON.SyntaxError {
                    throw error.description.hasPrefix("docs/") ? error : fail(error.description)
                }
            } else {
                throw fail("a line that is neither prose (indented), GET, → nor ←: \(line)")
            }
            current?.steps[step, default: []].append(parsed)
        }
        if current != nil { throw ExampleJSON.SyntaxError(description: "docs/protocol.md: a session block is not closed") }
    }
}
