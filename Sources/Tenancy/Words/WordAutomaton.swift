/// Aho–Corasick over folded scalars (see `WordNormalizer`): patterns in one automaton, so a text
/// is read once whatever the number of rules. Built without failure links it is a plain trie,
/// walked from chosen positions only (`WordMatcher` does that for whole-word patterns).
///
/// A double array: every scalar that occurs in a pattern has a small code, and the transition
/// from state `s` on code `c` is `t = base[s] + c`, valid when `check[t] == s` — one probe, no
/// search. Failure and output links are arrays indexed by state too. 100,000 patterns take a
/// few megabytes and no object per state.
struct WordAutomaton: Sendable {
    /// A pattern as the automaton reports it.
    struct Pattern: Sendable {
        /// Folded scalars matched.
        let length: Int
        /// The pattern starts (ends) with a letter or digit of an alphabetic script: a match must
        /// not have such a character right before (after) it.
        let wordStart: Bool
        let wordEnd: Bool
        /// What the caller knows the pattern as.
        let tag: Int32
    }

    static let root: Int32 = 0
    /// Longer patterns are refused by the rules' validation: a match's start is looked up in a
    /// ring of the last positions, this long.
    static let maximumLength = 64

    let patterns: [Pattern]
    /// Codes of the scalars beyond the basic plane that occur in patterns.
    private let astralCodes: [UInt32: Int32]
    /// The integer tables, in one allocation read through raw pointers: the scan touches them
    /// for every character, and array bounds checks and reference counting there halve its speed.
    private let tables: Tables
    private let states: Int

    /// - Parameters:
    ///   - keys: each pattern's folded scalars (non-empty, at most `maximumLength`) and tag.
    ///   - failureLinks: false for a trie walked from anchored starts (`Probe.child` only).
    init(_ keys: [(key: [UInt32], tag: Int32)], failureLinks: Bool = true) {
        // 1. Codes, in order of first appearance.
        var basicCodes = [Int32](repeating: 0, count: 0x10000)
        var astralCodes: [UInt32: Int32] = [:]
        var codeCount: Int32 = 0
        func code(_ label: UInt32) -> Int32 {
            if label < 0x10000 {
                if basicCodes[Int(label)] == 0 { codeCount += 1; basicCodes[Int(label)] = codeCount }
                return basicCodes[Int(label)]
            }
            if let known = astralCodes[label] { return known }
            codeCount += 1
            astralCodes[label] = codeCount
            return codeCount
        }

        // 2. A trie of codes, children as small arrays.
        var children: [[(code: Int32, node: Int32)]] = [[]]
        var own: [[Int32]] = [[]]
        var depths: [Int32] = [0]
        // The root's children by code: it has one per distinct first character (tens of thousands
        // for Chinese rules), too many to search a list for each pattern.
        var rootKids: [Int32] = []
        var patterns: [Pattern] = []
        for (key, tag) in keys where !key.isEmpty && key.count <= Self.maximumLength {
            var node: Int32 = 0
            for label in key {
                let c = code(label)
                if node == 0, Int(c) < rootKids.count, rootKids[Int(c)] != 0 {
                    node = rootKids[Int(c)]
                } else if node != 0, let next = children[Int(node)].first(where: { $0.code == c })?.node {
                    node = next
                } else {
                    let created = Int32(children.count)
                    children.append([])
                    own.append([])
                    depths.append(depths[Int(node)] + 1)
                    children[Int(node)].append((c, created))
                    if node == 0 {
                        if Int(c) >= rootKids.count { rootKids.append(contentsOf: repeatElement(0, count: Int(c) + 1 - rootKids.count)) }
                        rootKids[Int(c)] = created
                    }
                    node = created
                }
            }
            own[Int(node)].append(Int32(patterns.count))
            patterns.append(Pattern(length: key.count, wordStart: WordNormalizer.isWordScalar(key[0]),
                                    wordEnd: WordNormalizer.isWordScalar(key[key.count - 1]), tag: tag))
        }

        // 3. The double array, breadth first: each node's children placed where all their slots
        //    are free.
        var base = [Int32](repeating: 0, count: Int(codeCount) + 2)
        var check = [Int32](repeating: -1, count: Int(codeCount) + 2)
        check[0] = -2  // the root's own slot: never free, never a child
        var position = [Int32](repeating: 0, count: children.count)
        // The first free slot at or after i: `nextFree[i] == i` when i is free, else a slot
        // further on to look from (paths shortened as they are walked). The table fills densely,
        // and stepping over taken slots one by one was most of the build.
        var nextFree = (0..<Int32(check.count)).map { $0 }
        nextFree[0] = 1
        func firstFree(from start: Int) -> Int {
            var free = start
            while free < nextFree.count, nextFree[free] != Int32(free) { free = Int(nextFree[free]) }
            var at = start
            while at < nextFree.count, nextFree[at] != Int32(at) {
                let next = Int(nextFree[at])
                nextFree[at] = Int32(free)
                at = next
            }
            return free
        }
        var queue: [Int32] = [0]
        var head = 0
        while head < queue.count {
            let node = queue[head]
            head += 1
            let kids = children[Int(node)].sorted { $0.code < $1.code }
            guard let firstCode = kids.first?.code else { continue }
            var slot = firstFree(from: Int(firstCode))
            while true {
                let candidate = slot - Int(firstCode)
                if candidate + Int(kids[kids.count - 1].code) >= check.count {
                    let grown = max(check.count * 2, candidate + Int(kids[kids.count - 1].code) + 1)
                    base.append(contentsOf: repeatElement(0, count: grown - base.count))
                    nextFree.append(contentsOf: (Int32(check.count)..<Int32(grown)).map { $0 })
                    check.append(contentsOf: repeatElement(-1, count: grown - check.count))
                }
                if kids.allSatisfy({ check[candidate + Int($0.code)] == -1 }) {
                    let at = Int(position[Int(node)])
                    base[at] = Int32(candidate)
                    for kid in kids {
                        let target = candidate + Int(kid.code)
                        check[target] = Int32(at)
                        nextFree[target] = Int32(target + 1)
                        position[Int(kid.node)] = Int32(target)
                        queue.append(kid.node)
                    }
                    break
                }
                slot = firstFree(from: slot + 1)
            }
        }
        let states = check.count

        // 4. Outputs by position.
        var outputStart = [Int32](repeating: 0, count: states + 1)
        var outputs: [Int32] = []
        var ownAt = [[Int32]](repeating: [], count: states)
        for node in 0..<children.count where !own[node].isEmpty { ownAt[Int(position[node])] = own[node] }
        for at in 0..<states {
            outputStart[at] = Int32(outputs.count)
            outputs.append(contentsOf: ownAt[at])
        }
        outputStart[states] = Int32(outputs.count)

        // 5. Failure and output links, breadth first (the queue holds the nodes in that order).
        var failure = [Int32](repeating: 0, count: states)
        var outputLink = [Int32](repeating: -1, count: states)
        func child(_ at: Int32, _ code: Int32) -> Int32? {
            let target = Int(base[Int(at)]) + Int(code)
            return target < states && check[target] == at && target != 0 ? Int32(target) : nil
        }
        for node in queue where failureLinks {
            let at = position[Int(node)]
            for kid in children[Int(node)] {
                let target = position[Int(kid.node)]
                var link: Int32 = 0
                if at != 0 {
                    var fallback = failure[Int(at)]
                    while true {
                        if let next = child(fallback, kid.code) { link = next; break }
                        if fallback == 0 { break }
                        fallback = failure[Int(fallback)]
                    }
                }
                failure[Int(target)] = link
                outputLink[Int(target)] = outputStart[Int(link)] < outputStart[Int(link) + 1] ? link : outputLink[Int(link)]
            }
        }

        // Each state's base, check, failure link and child mask side by side: reaching a state
        // reads its check, and the same cache line then holds all the next step needs. The mask
        // (bit `code & 31` per child) turns most missing transitions away without touching the
        // target's line, which at 100,000 rules is a cache miss. Slots past the end stay free,
        // so a probe `base[s] + code` never leaves the table.
        var masks = [UInt32](repeating: 0, count: check.count)
        for slot in 1..<check.count where check[slot] >= 0 {
            masks[Int(check[slot])] |= 1 << UInt32((slot - Int(base[Int(check[slot])])) & 31)
        }
        let slots = check.count + Int(codeCount) + 1
        var nodes = [Int32](repeating: 0, count: slots * Self.nodeWidth)
        for slot in 0..<slots {
            let inside = slot < check.count
            let reportsOnChain = inside && (outputStart[slot] < outputStart[slot + 1] || outputLink[slot] >= 0)
            nodes[slot * Self.nodeWidth] = inside ? base[slot] : 0
            nodes[slot * Self.nodeWidth + 1] = inside ? check[slot] : -1
            nodes[slot * Self.nodeWidth + 2] = (inside ? failure[slot] : 0) | (reportsOnChain ? Self.reportsBit : 0)
            nodes[slot * Self.nodeWidth + 3] = inside ? Int32(bitPattern: masks[slot]) : 0
        }
        self.patterns = patterns
        self.astralCodes = astralCodes
        var depth = [Int32](repeating: 0, count: check.count)
        for node in 0..<children.count { depth[Int(position[node])] = depths[node] }
        self.tables = Tables([basicCodes, nodes, outputStart, outputs, outputLink, depth])
        self.states = children.count
    }

    var stateCount: Int { states }

    /// Bytes the automaton's tables take.
    var footprint: Int {
        tables.memory.count * 4 + astralCodes.count * 16 + patterns.count * MemoryLayout<Pattern>.stride
    }

    /// Int32s per state in the node table: base, check, failure link (with `reportsBit`), child mask.
    static let nodeWidth = 4
    /// Set on a failure link whose state, or a state along its failure chain, ends patterns.
    static let reportsBit = Int32(bitPattern: 1 << 31)

    /// The tables for one scan; valid while this automaton is.
    var probe: Probe {
        let start = tables.starts.map { UnsafePointer(tables.memory.baseAddress! + $0) }
        return Probe(codes: start[0], nodes: start[1], outputStart: start[2], outputs: start[3], outputLink: start[4], depth: start[5],
                     astralCodes: astralCodes)
    }

    /// The automaton's tables as raw pointers, held by a scan for its length.
    struct Probe {
        /// Codes of the basic plane's scalars (0: in no pattern).
        let codes: UnsafePointer<Int32>
        /// Per state, `nodeWidth` values: base, check, failure link (its top bit set when
        /// patterns end at the state or along its failure chain), and a mask of its children's
        /// codes (bit `code & 31`).
        let nodes: UnsafePointer<Int32>
        /// The patterns ending at a state itself: `outputs[outputStart[s] ..< outputStart[s + 1]]`.
        let outputStart: UnsafePointer<Int32>
        let outputs: UnsafePointer<Int32>
        /// The nearest state along the failure chain with outputs of its own, or -1.
        let outputLink: UnsafePointer<Int32>
        /// How many folded characters of a pattern a state has read: the longest match that may
        /// still be in progress there.
        let depth: UnsafePointer<Int32>
        let astralCodes: [UInt32: Int32]

        /// The small code of a folded scalar; 0 when no pattern holds it.
        @inline(__always)
        func code(_ label: UInt32) -> Int32 {
            label < 0x10000 ? codes[Int(label)] : (astralCodes[label] ?? 0)
        }

        /// The child of `state` on `code` (not 0), or -1: a trie step, no failure links followed.
        @inline(__always)
        func child(_ state: Int32, _ code: Int32) -> Int32 {
            let node = nodes + Int(state) * WordAutomaton.nodeWidth
            guard node[3] & Int32(bitPattern: 1 << UInt32(code & 31)) != 0 else { return -1 }
            let target = Int(node[0]) + Int(code)
            return nodes[target * WordAutomaton.nodeWidth + 1] == state ? Int32(truncatingIfNeeded: target) : -1
        }

        /// Whether patterns end at `state` or along its failure chain.
        @inline(__always)
        func reports(_ state: Int32) -> Bool {
            nodes[Int(state) * WordAutomaton.nodeWidth + 2] & WordAutomaton.reportsBit != 0
        }

        /// The state after reading the scalar of `code` (see `code(_:)`) in `state`.
        @inline(__always)
        func step(_ state: Int32, code: Int32) -> Int32 {
            // In no pattern: every state falls back to the root, which has no such child.
            if code == 0 { return 0 }
            let bit = Int32(bitPattern: 1 << UInt32(code & 31))
            var state = state
            while true {
                // The root's own slot is marked taken by no state, so slot 0 never matches.
                let node = nodes + Int(state) * WordAutomaton.nodeWidth
                if node[3] & bit != 0 {
                    let target = Int(node[0]) + Int(code)
                    if nodes[target * WordAutomaton.nodeWidth + 1] == state { return Int32(target) }
                }
                if state == 0 { return 0 }
                state = node[2] & ~WordAutomaton.reportsBit
            }
        }

        /// The first state along `state`'s failure chain (itself included) where patterns end, or -1.
        @inline(__always)
        func firstOutputState(_ state: Int32) -> Int32 {
            // Read from the state's own line first: most states report nothing.
            guard nodes[Int(state) * WordAutomaton.nodeWidth + 2] & WordAutomaton.reportsBit != 0 else { return -1 }
            return outputStart[Int(state)] < outputStart[Int(state) + 1] ? state : outputLink[Int(state)]
        }
    }
}

/// Integer tables laid end to end in one allocation, immutable once built.
private final class Tables: @unchecked Sendable {
    // Unchecked: the memory is written only here, before the object is shared, and freed with it.
    let memory: UnsafeMutableBufferPointer<Int32>
    /// Where each table starts in `memory`.
    let starts: [Int]

    init(_ tables: [[Int32]]) {
        memory = .allocate(capacity: tables.reduce(0) { $0 + $1.count })
        var starts: [Int] = []
        var at = 0
        for table in tables {
            starts.append(at)
            _ = UnsafeMutableBufferPointer(rebasing: memory[at..<(at + table.count)]).initialize(from: table)
            at += table.count
        }
        self.starts = starts
    }

    deinit { memory.deallocate() }
}
