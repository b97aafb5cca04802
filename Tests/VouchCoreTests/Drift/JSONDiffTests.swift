import Foundation
import Testing
@testable import VouchCore

@Suite struct JSONDiffTests {
    func lines(_ a: String, _ b: String) throws -> [String] {
        JSONDiff.diff(try JSONValue.parse(a), try JSONValue.parse(b)).map {
            "\($0.path) \($0.old?.canonicalText ?? "-") \($0.new?.canonicalText ?? "-")"
        }
    }

    @Test func objectsArraysAndOddKeys() throws {
        #expect(try lines(#"{"a":{"b":1,"c":2}}"#, #"{"a":{"b":1,"c":3,"d":[]}}"#) == ["$.a.c 2 3", "$.a.d - []"])
        #expect(try lines(#"{"x y":1,"0a":true}"#, #"{"x y":2}"#) == [#"$["0a"] true -"#, #"$["x y"] 1 2"#])
        // Removal in the middle of a list aligns the rest.
        #expect(try lines("[1,2,3,4]", "[1,3,4]") == ["$[1] 2 -"])
        // A changed element in place of another is compared field by field.
        #expect(try lines(#"[{"n":"a","v":1},{"n":"b","v":1}]"#, #"[{"n":"a","v":1},{"n":"b","v":2},{"n":"c","v":0}]"#)
                == [#"$[1].v 1 2"#, #"$[2] - {"n":"c","v":0}"#])
        #expect(try lines(#"{"a":[1]}"#, #"{"a":"1"}"#) == [#"$.a [1] "1""#])
        #expect(try lines("null", "null").isEmpty)
    }

    @Test func ignorePatterns() throws {
        let i = try DriftIgnore.parse("file*:$.mtime")
        #expect(i.matches(kind: "file", path: "$.mtime"))
        #expect(i.matches(kind: "file.symlink", path: "$.mtime"))
        #expect(!i.matches(kind: "file", path: "$.mtime_ns"), "a path prefix covers children only, not longer names")
        #expect(!i.matches(kind: "git.commit", path: "$.mtime"))
        let j = try DriftIgnore.parse("$.metadata")
        #expect(j.matches(kind: "any", path: "$.metadata.annotations[0]") && j.matches(kind: "any", path: "$.metadata[\"a b\"]"))
        #expect(try DriftIgnore.parse("origin").matches(kind: "x", path: "origin"))
    }
}
