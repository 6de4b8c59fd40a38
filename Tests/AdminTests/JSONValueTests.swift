import Foundation
import Testing
@testable import Admin

@Suite struct JSONValueTests {
    @Test func encodesStablyWithSortedKeys() throws {
        let value: JSONValue = ["b": 1, "a": ["x": true, "y": .null], "c": ["s", .number(2.5)]]
        #expect(String(decoding: try value.encoded(), as: UTF8.self) == #"{"a":{"x":true,"y":null},"b":1,"c":["s",2.5]}"#)
    }

    @Test func mergesObjectsDeeply() {
        let left: JSONValue = ["paths": ["/a": ["get": "x"]]]
        let right: JSONValue = ["paths": ["/a": ["post": "y"], "/b": "z"]]
        #expect(left.merging(right) == ["paths": ["/a": ["get": "x", "post": "y"], "/b": "z"]])
    }

    @Test func everyOperationDeclaresProblemResponses() {
        let document = OpenAPIDocument.build(version: "test", paths: [InfoController.openAPIPaths, OpenAPIController.openAPIPaths])
        for (_, item) in document.objectValue["paths"]?.objectValue ?? [:] {
            for (_, operation) in item.objectValue {
                let responses = operation.objectValue["responses"]?.objectValue ?? [:]
                #expect(responses["500"] != nil)
                #expect(responses["429"] != nil)
            }
        }
    }
}
