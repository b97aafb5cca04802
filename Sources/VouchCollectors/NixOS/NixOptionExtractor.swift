/// One option assignment found in a module (before it is written as a `nixos_option` row).
struct NixOptionAssignment {
    var path: [String]
    var value: NixValue?
    /// The value's source text (what is stored when it cannot be worked out).
    var source: String
    var line: Int
    var column: Int
    var condition: String?
    var priority: Int
    /// Set on the normalized row of a legacy spelling: the path as written.
    var legacyPath: String?
    /// Whether every part of the path is a plain name.
    var pathKnown = true
    /// The value expression's bytes in the file (redacted there when the value is a secret).
    var span: Range<Int> = 0..<0

    var pathText: String { NixOptionExtractor.pathText(path) }
}

/// An `imports` entry: a file Vouch can follow, or an expression it cannot.
struct NixImportReference {
    var relativePath: String?
    var source: String
    var line: Int
    var column: Int
}

/// Extracts option assignments and imports from one parsed module file.
///
/// Assignments are flattened across nested sets; `mkIf` adds its condition's source text,
/// `mkDefault`/`mkForce`/`mkOverride` set the priority, `mkMerge` lists are walked, and
/// values are resolved only when they are literals or constants (`NixResolver`).
struct NixOptionExtractor {
    let bytes: [UInt8]
    let lines: NixLineTable
    var resolver = NixResolver()
    var assignments: [NixOptionAssignment] = []
    var imports: [NixImportReference] = []

    init(bytes: [UInt8]) {
        self.bytes = bytes
        self.lines = NixLineTable(bytes)
    }

    struct Context {
        var conditions: [String] = []
        var priority = 100
        var offset = 0
    }

    static let modulePriorities: [String: Int] = [
        "mkDefault": 1000, "mkForce": 50, "mkOptionDefault": 1500, "mkVMOverride": 10, "mkImageMediaOverride": 60,
    ]
    static let moduleMetaKeys: Set<String> = ["_file", "key", "disabledModules", "meta", "_class", "freeformType"]

    /// Walks a module: a set, or a function returning one (through `let` and `with`).
    mutating func module(_ e: NixExpr, _ scope: NixScope?, _ ctx: Context = Context()) {
        switch e.kind {
        case .lambda(let p, let body): module(body, NixScope.arguments(p, parent: scope), ctx)
        case .letIn(let binds, let body): module(body, NixScope.bindings(binds, parent: scope), ctx)
        case .with(_, let body): module(body, NixScope(parent: scope, isWith: true), ctx)
        case .assert(_, let body): module(body, scope, ctx)
        case .attrSet(let rec, let binds):
            let inner = rec ? NixScope.bindings(binds, parent: scope) : scope
            let full = binds.contains { b in
                if case .assign(let path, _) = b.kind, let f = path.first?.staticName { return f == "config" || f == "options" }
                return false
            }
            for bnd in binds {
                guard case .assign(let path, let value) = bnd.kind, let first = path.first?.staticName else {
                    if case .inherit = bnd.kind, !full { attrSetBindings([bnd], prefix: [], inner, scope, ctx) }
                    continue
                }
                if first == "imports", path.count == 1 { importList(value, inner); continue }
                if path.count == 1, Self.moduleMetaKeys.contains(first) { continue }
                if full {
                    guard first == "config" else { continue }
                    var c = ctx
                    c.offset = bnd.start
                    assign(names(path.dropFirst(), inner), value, inner, c)
                } else {
                    attrSetBindings([bnd], prefix: [], inner, scope, ctx)
                }
            }
        case .apply:
            assign([], e, scope, ctx)
        default:
            imports.append(NixImportReference(relativePath: nil, source: sourceText(e), line: location(e.start).line,
                                              column: location(e.start).column))
        }
    }

    /// The `imports` list: relative paths to follow, inline modules, and the rest as unresolved.
    mutating func importList(_ e: NixExpr, _ scope: NixScope?) {
        switch e.kind {
        case .list(let items):
            for item in items { importItem(item, scope) }
        case .binary(.concat, let a, let b):
            importList(a, scope)
            importList(b, scope)
        case .letIn(let binds, let body): importList(body, NixScope.bindings(binds, parent: scope))
        default:
            unresolvedImport(e)
        }
    }

    mutating func importItem(_ e: NixExpr, _ scope: NixScope?) {
        switch e.kind {
        case .path:
            if case .path(let p)? = resolver.resolve(e, scope), !p.hasPrefix("~"), !p.hasPrefix("/") {
                let loc = location(e.start)
                imports.append(NixImportReference(relativePath: p, source: sourceText(e), line: loc.line, column: loc.column))
            } else {
                unresolvedImport(e)
            }
        case .attrSet, .lambda:
            module(e, scope)
        case .apply(let f, let arg) where NixResolver.functionName(f, scope) == "import":
            importItem(arg, scope)
        default:
            unresolvedImport(e)
        }
    }

    mutating func unresolvedImport(_ e: NixExpr) {
        let loc = location(e.start)
        imports.append(NixImportReference(relativePath: nil, source: sourceText(e), line: loc.line, column: loc.column))
    }

    /// The bindings of a set under `prefix`.
    mutating func attrSetBindings(_ binds: [NixBinding], prefix: [String], _ scope: NixScope?, _ inheritScope: NixScope?,
                                  _ ctx: Context) {
        for bnd in binds {
            var c = ctx
            c.offset = bnd.start
            switch bnd.kind {
            case .assign(let path, let value):
                assign(prefix + names(path[...], scope), value, scope, c)
            case .inherit(let from, let names):
                for n in names {
                    guard let name = n.staticName else { continue }
                    let e: NixExpr = from.map { NixExpr(.select($0, [.name(name)], nil), bnd.start, bnd.end) }
                        ?? NixExpr(.variable(name), bnd.start, bnd.end)
                    leaf(prefix + [name], e, inheritScope, c, sourceOverride: name)
                }
            }
        }
    }

    /// The names of an attribute path; an unresolvable dynamic name keeps its source as `${…}`.
    mutating func names(_ path: ArraySlice<NixAttrName>, _ scope: NixScope?) -> [String] {
        path.map { n in
            if let s = resolver.attrName(n, scope) { return s }
            if case .dynamic(let e) = n { return "${" + sourceText(e) + "}" }
            return "${?}"
        }
    }

    /// An assignment's value: sets are walked, `mk*` functions understood, anything else is a leaf.
    mutating func assign(_ prefix: [String], _ e: NixExpr, _ scope: NixScope?, _ ctx: Context) {
        switch e.kind {
        case .attrSet(let rec, let binds) where !binds.isEmpty:
            let inner = rec ? NixScope.bindings(binds, parent: scope) : scope
            attrSetBindings(binds, prefix: prefix, inner, scope, ctx)
        case .letIn(let binds, let body):
            assign(prefix, body, NixScope.bindings(binds, parent: scope), ctx)
        case .with(_, let body):
            assign(prefix, body, NixScope(parent: scope, isWith: true), ctx)
        case .apply:
            var args: [NixExpr] = []
            var f = e
            while case .apply(let g, let x) = f.kind { args.insert(x, at: 0); f = g }
            let name = NixResolver.functionName(f, scope)
            var c = ctx
            switch (name, args.count) {
            case ("mkIf", 2):
                c.conditions.append(Self.compact(sourceText(args[0])))
                assign(prefix, args[1], scope, c)
            case ("mkMerge", 1):
                if case .list(let items) = args[0].kind {
                    for item in items { assign(prefix, item, scope, c) }
                } else {
                    leaf(prefix, e, scope, c)
                }
            case (let n?, 1) where Self.modulePriorities[n] != nil:
                c.priority = Self.modulePriorities[n]!
                assign(prefix, args[0], scope, c)
            case ("mkOverride", 2):
                guard case .int(let p)? = resolver.resolve(args[0], scope), p >= 0, p <= Int64(Int32.max) else {
                    leaf(prefix, e, scope, c); return
                }
                c.priority = Int(p)
                assign(prefix, args[1], scope, c)
            case ("mkBefore", 1), ("mkAfter", 1):
                assign(prefix, args[0], scope, c)
            case ("mkOrder", 2):
                assign(prefix, args[1], scope, c)
            default:
                leaf(prefix, e, scope, c)
            }
        default:
            leaf(prefix, e, scope, ctx)
        }
    }

    /// Records one value; a constant set is flattened into its own paths.
    mutating func leaf(_ path: [String], _ e: NixExpr, _ scope: NixScope?, _ ctx: Context, sourceOverride: String? = nil) {
        guard !path.isEmpty else {
            imports.append(NixImportReference(relativePath: nil, source: sourceText(e), line: location(e.start).line,
                                              column: location(e.start).column))
            return
        }
        let value = resolver.resolve(e, scope)
        let loc = location(ctx.offset)
        let src = sourceOverride ?? sourceText(e)
        if case .set(let o)? = value, !o.isEmpty {
            flatten(path, o, src: src, loc: loc, ctx: ctx, span: e.start..<e.end)
            return
        }
        record(NixOptionAssignment(path: path, value: value, source: src, line: loc.line, column: loc.column,
                                   condition: condition(ctx), priority: ctx.priority,
                                   pathKnown: !path.contains { $0.hasPrefix("${") }, span: e.start..<e.end))
    }

    mutating func flatten(_ path: [String], _ o: [String: NixValue], src: String, loc: (line: Int, column: Int), ctx: Context,
                          span: Range<Int>) {
        for k in o.keys.sorted() {
            if case .set(let inner) = o[k]!, !inner.isEmpty {
                flatten(path + [k], inner, src: src, loc: loc, ctx: ctx, span: span)
            } else {
                record(NixOptionAssignment(path: path + [k], value: o[k]!, source: src, line: loc.line, column: loc.column,
                                           condition: condition(ctx), priority: ctx.priority, span: span))
            }
        }
    }

    mutating func record(_ a: NixOptionAssignment) {
        assignments.append(a)
        if let current = Self.legacySpellings[a.pathText] {
            var n = a
            n.path = current
            n.legacyPath = a.pathText
            assignments.append(n)
        }
    }

    func condition(_ ctx: Context) -> String? {
        switch ctx.conditions.count {
        case 0: return nil
        case 1: return ctx.conditions[0]
        default:
            // Parenthesize only where needed: a single name or an already parenthesized text stays as it is.
            return ctx.conditions.map { c in
                (c.hasPrefix("(") && c.hasSuffix(")")) || !c.contains(" ") ? c : "(\(c))"
            }.joined(separator: " && ")
        }
    }

    func location(_ offset: Int) -> (line: Int, column: Int) { lines.location(offset) }

    /// The source text of an expression (capped: it is evidence, not a copy of the file).
    func sourceText(_ e: NixExpr) -> String {
        let end = min(e.end, e.start + 4000)
        let s = String(decoding: bytes[e.start..<end], as: UTF8.self)
        return end < e.end ? s + "…" : s
    }

    /// Collapses white space runs (for conditions written over several lines).
    static func compact(_ s: String) -> String {
        s.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }).joined(separator: " ")
    }

    /// Joins names as Nix shows attribute paths, quoting names that are not plain identifiers.
    static func pathText(_ path: [String]) -> String {
        path.map { n in
            let plain = !n.isEmpty && n.utf8.allSatisfy { NixLexer.isIDChar($0) } && NixLexer.isIDStart(n.utf8.first!)
            if plain || n.hasPrefix("${") { return n }
            var q = ""
            NixPrinter.quote(n, into: &q)
            return q
        }.joined(separator: ".")
    }

    /// Pre-23.05 spellings of audited options, and the current path each now maps to.
    static let legacySpellings: [String: [String]] = {
        let ssh = ["services", "openssh"]
        let map: [String: String] = [
            "passwordAuthentication": "PasswordAuthentication",
            "permitRootLogin": "PermitRootLogin",
            "challengeResponseAuthentication": "KbdInteractiveAuthentication",
            "kbdInteractiveAuthentication": "KbdInteractiveAuthentication",
            "forwardX11": "X11Forwarding",
            "logLevel": "LogLevel",
            "useDns": "UseDns",
            "gatewayPorts": "GatewayPorts",
            "kexAlgorithms": "KexAlgorithms",
            "ciphers": "Ciphers",
            "macs": "Macs",
        ]
        var out: [String: [String]] = [:]
        for (old, new) in map { out[pathText(ssh + [old])] = ssh + ["settings", new] }
        return out
    }()
}
