import Foundation
import Hummingbird
import Realtime
import Tenancy

/// `/api/v1/knowledge`: what the tenant's bot answers from (`knowledge.manage`) — documents (JSON, or
/// an upload of a .md, .txt or .html file), FAQ entries, and a search showing what the bot would
/// retrieve for a question.
public struct KnowledgeController: Sendable {
    let knowledge: KnowledgeStore
    let retriever: KnowledgeRetriever
    /// Told of every document change, so the new chunks are embedded.
    let embedder: KnowledgeEmbedder
    let maxBodyBytes: Int
    /// Documents may be larger than other bodies.
    let maxDocumentBytes: Int

    public init(knowledge: KnowledgeStore, retriever: KnowledgeRetriever, embedder: KnowledgeEmbedder, maxBodyBytes: Int,
                maxDocumentBytes: Int = 4 << 20) {
        self.knowledge = knowledge
        self.retriever = retriever
        self.embedder = embedder
        self.maxBodyBytes = maxBodyBytes
        self.maxDocumentBytes = maxDocumentBytes
    }

    struct DocumentView: ResponseEncodable, Codable, Sendable {
        let id: UUID
        let title: String
        let format: DocumentSplitter.Format
        /// Only when one document is read.
        let body: String?
        let version: Int
        let chunks: Int
        let embeddedChunks: Int
        let updatedAt: Date

        init(_ document: KnowledgeDocument, withBody: Bool) {
            id = document.id
            title = document.title
            format = document.format
            body = withBody ? document.body : nil
            version = document.version
            chunks = document.chunks
            embeddedChunks = document.embeddedChunks
            updatedAt = document.updatedAt
        }
    }

    struct DocumentRequest: APIRequestBody {
        let title: String?
        let format: DocumentSplitter.Format?
        let body: String?

        enum CodingKeys: String, CodingKey, CaseIterable { case title, format, body }
    }

    struct FAQView: ResponseEncodable, Codable, Sendable {
        let id: UUID
        let questions: [String]
        let answer: String
        let enabled: Bool

        init(_ entry: FAQEntry) {
            id = entry.id
            questions = entry.questions
            answer = entry.answer
            enabled = entry.enabled
        }
    }

    struct FAQRequest: APIRequestBody {
        let questions: [String]?
        let answer: String?
        let enabled: Bool?

        enum CodingKeys: String, CodingKey, CaseIterable { case questions, answer, enabled }
    }

    struct SearchView: ResponseEncodable {
        struct Chunk: Encodable {
            let documentId: UUID
            let title: String
            let heading: String
            let text: String
            let rank: Double
            /// The full-text rank, when the text search found it.
            let textRank: Double?
            /// The cosine similarity to the question, when the embedding search found it.
            let similarity: Double?
        }

        struct FAQ: Encodable {
            let id: UUID
            let questions: [String]
            let score: Double
            /// Whether the bot would answer with it directly.
            let answersDirectly: Bool
        }

        let faq: FAQ?
        let chunks: [Chunk]
    }

    public func addRoutes(to group: RouterGroup<KefuRequestContext>) {
        group.on(.get, "knowledge/documents", access: .permission(.knowledgeManage), use: listDocuments)
        group.on(.post, "knowledge/documents", access: .permission(.knowledgeManage), use: createDocument)
        group.on(.get, "knowledge/documents/{id}", access: .permission(.knowledgeManage), use: getDocument)
        group.on(.patch, "knowledge/documents/{id}", access: .permission(.knowledgeManage), use: updateDocument)
        group.on(.delete, "knowledge/documents/{id}", access: .permission(.knowledgeManage), use: deleteDocument)
        group.on(.get, "knowledge/faqs", access: .permission(.knowledgeManage), use: listFAQ)
        group.on(.post, "knowledge/faqs", access: .permission(.knowledgeManage), use: createFAQ)
        group.on(.get, "knowledge/faqs/{id}", access: .permission(.knowledgeManage), use: getFAQ)
        group.on(.patch, "knowledge/faqs/{id}", access: .permission(.knowledgeManage), use: updateFAQ)
        group.on(.delete, "knowledge/faqs/{id}", access: .permission(.knowledgeManage), use: deleteFAQ)
        group.on(.get, "knowledge/search", access: .permission(.knowledgeManage), use: search)
    }

    @Sendable func listDocuments(request: Request, context: KefuRequestContext) async throws -> PageView<DocumentView> {
        let principal = try context.requirePrincipal()
        return PageView(try await knowledge.listDocuments(page: try request.pageRequest(), tenantID: principal.tenantID)) { DocumentView($0, withBody: false) }
    }

    /// JSON `{title, format, body}`, or a file: `text/markdown`, `text/plain` or `text/html` with `?title=`.
    @Sendable func createDocument(request: Request, context: KefuRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let mediaType = request.headers[.contentType]?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let fileFormats: [String: DocumentSplitter.Format] = ["text/markdown": .markdown, "text/plain": .text, "text/html": .html]
        let document: KnowledgeDocument
        if let mediaType, let format = fileFormats[mediaType] {
            let bytes: ByteBuffer
            do {
                bytes = try await request.body.collect(upTo: maxDocumentBytes)
            } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
                throw APIError.payloadTooLarge(limit: maxDocumentBytes)
            }
            guard let body = String(validating: bytes.readableBytesView, as: UTF8.self) else {
                throw APIError.validation(field: "(body)", "the file must be UTF-8 text")
            }
            document = try await knowledge.createDocument(title: request.formParameter("title"), format: format, body: body, by: principal,
                                                          origin: context.origin(request))
        } else {
            let body = try await request.decodeJSON(DocumentRequest.self, limit: maxDocumentBytes)
            document = try await knowledge.createDocument(title: body.title, format: body.format, body: body.body, by: principal,
                                                          origin: context.origin(request))
        }
        embedder.kick(principal.tenantID)
        var response = try DocumentView(document, withBody: false).response(from: request, context: context)
        response.status = .created
        response.headers[.location] = "/api/v1/knowledge/documents/\(document.id.lowercased)"
        return response
    }

    @Sendable func getDocument(request: Request, context: KefuRequestContext) async throws -> DocumentView {
        let principal = try context.requirePrincipal()
        return DocumentView(try await knowledge.document(try context.id(), tenantID: principal.tenantID), withBody: true)
    }

    @Sendable func updateDocument(request: Request, context: KefuRequestContext) async throws -> DocumentView {
        let principal = try context.requirePrincipal()
        let body = try await request.decodeJSON(DocumentRequest.self, limit: maxDocumentBytes)
        let document = try await knowledge.updateDocument(try context.id(), title: body.title, format: body.format, body: body.body,
                                                          by: principal, origin: context.origin(request))
        embedder.kick(principal.tenantID)
        return DocumentView(document, withBody: true)
    }

    @Sendable func deleteDocument(request: Request, context: KefuRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        try await knowledge.deleteDocument(try context.id(), by: principal, origin: context.origin(request))
        return Response(status: .noContent)
    }

    @Sendable func listFAQ(request: Request, context: KefuRequestContext) async throws -> PageView<FAQView> {
        let principal = try context.requirePrincipal()
        return PageView(try await knowledge.listFAQ(page: try request.pageRequest(), tenantID: principal.tenantID), FAQView.init)
    }

    @Sendable func createFAQ(request: Request, context: KefuRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let body = try await request.decodeJSON(FAQRequest.self, limit: maxBodyBytes)
        let entry = try await knowledge.createFAQ(questions: body.questions, answer: body.answer, enabled: body.enabled, by: principal,
                                                  origin: context.origin(request))
        var response = try FAQView(entry).response(from: request, context: context)
        response.status = .created
        response.headers[.location] = "/api/v1/knowledge/faqs/\(entry.id.lowercased)"
        return response
    }

    @Sendable func getFAQ(request: Request, context: KefuRequestContext) async throws -> FAQView {
        let principal = try context.requirePrincipal()
        return FAQView(try await knowledge.faq(try context.id(), tenantID: principal.tenantID))
    }

    @Sendable func updateFAQ(request: Request, context: KefuRequestContext) async throws -> FAQView {
        let principal = try context.requirePrincipal()
        let body = try await request.decodeJSON(FAQRequest.self, limit: maxBodyBytes)
        return FAQView(try await knowledge.updateFAQ(try context.id(), questions: body.questions, answer: body.answer, enabled: body.enabled,
                                                     by: principal, origin: context.origin(request)))
    }

    @Sendable func deleteFAQ(request: Request, context: KefuRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        try await knowledge.deleteFAQ(try context.id(), by: principal, origin: context.origin(request))
        return Response(status: .noContent)
    }

    @Sendable func search(request: Request, context: KefuRequestContext) async throws -> SearchView {
        let principal = try context.requirePrincipal()
        guard let question = request.formParameter("q"), !question.trimmingCharacters(in: .whitespaces).isEmpty, question.count <= 2000 else {
            throw APIError.validation(field: "q", "a question of 1 to 2,000 characters")
        }
        let found = try await retriever.search(question, tenantID: principal.tenantID, limit: 10)
        return SearchView(
            faq: found.faq.map { .init(id: $0.entry.id, questions: $0.entry.questions, score: $0.score, answersDirectly: $0.score >= KnowledgeStore.faqThreshold) },
            chunks: found.chunks.map { .init(documentId: $0.documentID, title: $0.title, heading: $0.heading, text: $0.text, rank: $0.rank,
                                     textRank: $0.textRank, similarity: $0.similarity) })
    }
}
