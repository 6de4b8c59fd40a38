import Testing
@testable import Tenancy

@Suite struct SQLScriptTests {
    @Test func splitsAtTopLevelSemicolonsOnly() {
        let script = """
            -- a comment; with a semicolon
            CREATE TABLE a (x text DEFAULT 'semi;colon');
            /* block; /* nested; */ still comment; */
            CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;
            DO $body$ BEGIN PERFORM 1; END $body$;
            SELECT "odd;name" FROM a;
            SELECT E'it\\'s; fine';
            """
        let statements = SQLScript.statements(in: script)
        #expect(statements.count == 5)
        #expect(statements[0].hasSuffix("CREATE TABLE a (x text DEFAULT 'semi;colon')"))
        #expect(statements[1].hasSuffix("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$"))
        #expect(statements[2] == "DO $body$ BEGIN PERFORM 1; END $body$")
        #expect(statements[3] == "SELECT \"odd;name\" FROM a")
        #expect(statements[4] == "SELECT E'it\\'s; fine'")
    }

    @Test func dropsEmptyStatementsAndTrailingComments() {
        #expect(SQLScript.statements(in: ";;\n-- only a comment\n").isEmpty)
        #expect(SQLScript.statements(in: "SELECT 1;\n-- done") == ["SELECT 1"])
    }

    @Test func doubledQuotesStayInsideStrings() {
        #expect(SQLScript.statements(in: "SELECT 'a'';b'; SELECT 2") == ["SELECT 'a'';b'", "SELECT 2"])
    }
}
