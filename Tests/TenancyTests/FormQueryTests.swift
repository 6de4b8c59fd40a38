import Testing
import Tenancy

@Suite struct FormQueryTests {
    @Test func readsAQueryAsFormsWriteIt() {
        let query = FormQuery(uri: "/ws/visitor?key=kfw_a%2Bb&q=%E4%BD%A0%E5%A5%BD+world&flag&empty=&key=second")
        #expect(query["key"] == "kfw_a+b", "%2B is a plus; the first value wins")
        #expect(query["q"] == "你好 world", "+ is a space")
        #expect(query["flag"] == "" && query["empty"] == "")
        #expect(query["missing"] == nil)
    }

    @Test func aURIWithoutAQueryHasNoParameters() {
        #expect(FormQuery(uri: "/ws/agent")["presence"] == nil)
        #expect(FormQuery(uri: "/ws/agent?")["presence"] == nil)
    }

    @Test func badPercentEncodingIsKeptAsWritten() {
        #expect(FormQuery("q=100%")["q"] == "100%")
        #expect(FormQuery("%zz=1")["%zz"] == nil, "a name that does not decode is dropped")
    }
}
