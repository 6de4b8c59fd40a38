extension KnowledgeController {
    static let documentSchema: JSONValue = [
        "type": "object", "required": ["id", "title", "format", "version", "chunks", "embeddedChunks", "updatedAt"],
        "properties": [
            "id": ["type": "string", "format": "uuid"], "title": ["type": "string", "maxLength": 200],
            "format": ["type": "string", "enum": ["markdown", "text", "html"]],
            "body": ["type": "string", "description": "Only when one document is read"],
            "version": ["type": "integer", "description": "Bumped by every change; the chunks are rebuilt with it"],
            "chunks": ["type": "integer", "description": "Pieces retrieval returns: cut at headings, then at paragraphs (about 800 characters)"],
            "embeddedChunks": ["type": "integer", "description": "Chunks with a vector; equal to chunks once the embedding model (if any) has caught up"],
            "updatedAt": ["type": "string", "format": "date-time"],
        ],
    ]

    static let faqSchema: JSONValue = [
        "type": "object", "required": ["id", "questions", "answer", "enabled"],
        "properties": [
            "id": ["type": "string", "format": "uuid"],
            "questions": ["type": "array", "minItems": 1, "maxItems": 20, "items": ["type": "string", "maxLength": 500], "description": "Ways of asking"],
            "answer": ["type": "string", "maxLength": 5000, "description": "Given as it is, without the LLM, when a question matches closely"],
            "enabled": ["type": "boolean"],
        ],
    ]

    static let documentBody: JSONValue = [
        "required": true,
        "content": [
            "application/json": ["schema": ["type": "object", "additionalProperties": false, "required": ["title", "body"], "properties": [
                "title": ["type": "string", "maxLength": 200], "format": ["type": "string", "enum": ["markdown", "text", "html"], "default": "markdown"],
                "body": ["type": "string", "maxLength": 2000000],
            ]]],
            "text/markdown": ["schema": ["type": "string"]], "text/plain": ["schema": ["type": "string"]], "text/html": ["schema": ["type": "string"]],
        ],
    ]

    public static let openAPIPaths: JSONValue = [
        "/api/v1/knowledge/documents": [
            "get": OpenAPIDocument.operation(
                "listKnowledgeDocuments", "The bot's knowledge documents (without their bodies)", tag: "bot", access: .permission(.knowledgeManage),
                parameters: OpenAPIDocument.pageParameters,
                responses: ["200": OpenAPIDocument.json("A page of documents", PageView<DocumentView>.schema(documentSchema)), "422": OpenAPIDocument.problem]),
            "post": .object(OpenAPIDocument.operation(
                "createKnowledgeDocument", "Add a document: JSON, or a .md / .txt / .html file as the body with ?title=; cut into chunks and indexed at once",
                tag: "bot", access: .permission(.knowledgeManage),
                parameters: [["name": "title", "in": "query", "description": "With a file body", "schema": ["type": "string"]]],
                responses: ["201": OpenAPIDocument.json("Created", documentSchema), "413": OpenAPIDocument.problem, "415": OpenAPIDocument.problem,
                            "422": OpenAPIDocument.problem]).objectValue.merging(["requestBody": documentBody]) { $1 }),
        ],
        "/api/v1/knowledge/documents/{id}": [
            "get": OpenAPIDocument.operation(
                "getKnowledgeDocument", "One document with its body", tag: "bot", access: .permission(.knowledgeManage), parameters: [OpenAPIDocument.idParameter],
                responses: ["200": OpenAPIDocument.json("The document", documentSchema), "404": OpenAPIDocument.problem]),
            "patch": OpenAPIDocument.operation(
                "updateKnowledgeDocument", "Change a document: a new version, re-cut and re-indexed in the same transaction", tag: "bot",
                access: .permission(.knowledgeManage), parameters: [OpenAPIDocument.idParameter],
                body: ["type": "object", "additionalProperties": false, "properties": [
                    "title": ["type": "string", "maxLength": 200], "format": ["type": "string", "enum": ["markdown", "text", "html"]], "body": ["type": "string"],
                ]],
                responses: ["200": OpenAPIDocument.json("The changed document", documentSchema), "404": OpenAPIDocument.problem, "422": OpenAPIDocument.problem]),
            "delete": OpenAPIDocument.operation(
                "deleteKnowledgeDocument", "Delete a document and its chunks", tag: "bot", access: .permission(.knowledgeManage), parameters: [OpenAPIDocument.idParameter],
                responses: ["204": ["description": "Deleted"], "404": OpenAPIDocument.problem]),
        ],
        "/api/v1/knowledge/faqs": [
            "get": OpenAPIDocument.operation(
                "listFAQEntries", "The bot's FAQ entries", tag: "bot", access: .permission(.knowledgeManage), parameters: OpenAPIDocument.pageParameters,
                responses: ["200": OpenAPIDocument.json("A page of FAQ entries", PageView<FAQView>.schema(faqSchema)), "422": OpenAPIDocument.problem]),
            "post": OpenAPIDocument.operation(
                "createFAQEntry", "Add a FAQ entry", tag: "bot", access: .permission(.knowledgeManage),
                body: ["type": "object", "additionalProperties": false, "required": ["questions", "answer"], "properties": [
                    "questions": ["type": "array", "items": ["type": "string"]], "answer": ["type": "string"], "enabled": ["type": "boolean", "default": true],
                ]],
                responses: ["201": OpenAPIDocument.json("Created", faqSchema), "422": OpenAPIDocument.problem]),
        ],
        "/api/v1/knowledge/faqs/{id}": [
            "get": OpenAPIDocument.operation(
                "getFAQEntry", "One FAQ entry", tag: "bot", access: .permission(.knowledgeManage), parameters: [OpenAPIDocument.idParameter],
                responses: ["200": OpenAPIDocument.json("The entry", faqSchema), "404": OpenAPIDocument.problem]),
            "patch": OpenAPIDocument.operation(
                "updateFAQEntry", "Change a FAQ entry", tag: "bot", access: .permission(.knowledgeManage), parameters: [OpenAPIDocument.idParameter],
                body: ["type": "object", "additionalProperties": false, "properties": [
                    "questions": ["type": "array", "items": ["type": "string"]], "answer": ["type": "string"], "enabled": ["type": "boolean"],
                ]],
                responses: ["200": OpenAPIDocument.json("The changed entry", faqSchema), "404": OpenAPIDocument.problem, "422": OpenAPIDocument.problem]),
            "delete": OpenAPIDocument.operation(
                "deleteFAQEntry", "Delete a FAQ entry", tag: "bot", access: .permission(.knowledgeManage), parameters: [OpenAPIDocument.idParameter],
                responses: ["204": ["description": "Deleted"], "404": OpenAPIDocument.problem]),
        ],
        "/api/v1/knowledge/search": [
            "get": OpenAPIDocument.operation(
                "searchKnowledge", "What the bot would retrieve for a question: the closest FAQ entry (and whether it answers directly) and the best chunks (full-text search, fused with the nearest chunks by embedding when a provider has an embedding model)",
                tag: "bot", access: .permission(.knowledgeManage),
                parameters: [["name": "q", "in": "query", "required": true, "schema": ["type": "string", "maxLength": 2000]]],
                responses: ["200": OpenAPIDocument.json("What was found", [
                    "type": "object", "required": ["chunks"], "properties": [
                        "faq": ["type": "object", "properties": [
                            "id": ["type": "string", "format": "uuid"], "questions": ["type": "array", "items": ["type": "string"]],
                            "score": ["type": "number", "description": "Share of terms in common with the closest variant (0–1)"],
                            "answersDirectly": ["type": "boolean"],
                        ]],
                        "chunks": ["type": "array", "items": ["type": "object", "properties": [
                            "documentId": ["type": "string", "format": "uuid"], "title": ["type": "string"], "heading": ["type": "string"],
                            "text": ["type": "string"],
                            "rank": ["type": "number", "description": "The order: the full-text rank, or with embeddings the reciprocal rank fusion score of both searches"],
                            "textRank": ["type": "number", "description": "Its full-text rank (ts_rank_cd), when the text search found it"],
                            "similarity": ["type": "number", "description": "Its cosine similarity to the question, when the embedding search found it"],
                        ]]],
                    ],
                ]), "422": OpenAPIDocument.problem]),
        ],
    ]
}
