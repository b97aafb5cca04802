import GRDB

extension Schema {
    /// Verdict codes of `policy_verification_row.verdict`, in this order (the view decodes them).
    public static let policyVerdicts = ["match", "unexpected", "missing", "mismatch", "implicit", "unverified"]
    /// Codes of `policy_verification_row.expected`.
    public static let policyExpectations = ["allow", "deny", "allow+proxy"]

    /// The tables behind the `policy_verification` view, each keyed by `capture_id`.
    public static let policyVerificationTables = ["policy_verification_row", "policy_verification_endpoint", "policy_verification_policies"]

    /// `policy_verification`, stored compactly.
    ///
    /// A large cluster has millions of verdicts (1,000 endpoints × 2,000 map entries), nearly all
    /// `match`. Written as one wide row each (endpoint texts, policy names and a one-line `entry` on
    /// every row, about 190 bytes), inserting them cost about 4 s; most of that was bytes. The
    /// verdicts now live in `policy_verification_row` as small integers, the endpoint and the
    /// declaring-policy texts once per capture in their own tables, and `policy_verification` is a
    /// view with the same columns as the table it replaces (plus `seq`, the verification order), so
    /// checks, reports and people's queries read it unchanged. `entry` is computed by the view.
    ///
    /// Inserting into the view (tests, hand-made stores) goes through a trigger that encodes the
    /// texts and refuses values outside the vocabulary. Rows stored by the earlier table are copied.
    static func registerPolicyVerificationStorage(_ m: inout DatabaseMigrator) {
        m.registerMigration("2026-11-25 policy verification, compact") { db in
            let verdict = policyVerdicts.enumerated().map { "WHEN \($0.offset) THEN '\($0.element)'" }.joined(separator: " ")
            let verdictCode = policyVerdicts.enumerated().map { "WHEN '\($0.element)' THEN \($0.offset)" }.joined(separator: " ")
            let expected = policyExpectations.enumerated().map { "WHEN \($0.offset) THEN '\($0.element)'" }.joined(separator: " ")
            let expectedCode = policyExpectations.enumerated().map { "WHEN '\($0.element)' THEN \($0.offset)" }.joined(separator: " ")
            // The code of an `enforced` text (`e` names it), NULL when it is not one.
            func enforcedCode(_ e: String) -> String {
                """
                CASE WHEN \(e) IS NULL THEN NULL WHEN \(e) = 'deny' THEN -1 WHEN \(e) = 'allow' THEN 0
                     WHEN \(e) GLOB 'allow+proxy:[1-9]*' AND NOT substr(\(e), 13) GLOB '*[^0-9]*'
                          AND length(\(e)) <= 30 THEN CAST(substr(\(e), 13) AS INTEGER) END
                """
            }
            try db.execute(sql: """
                ALTER TABLE policy_verification RENAME TO policy_verification_v1;
                DROP INDEX IF EXISTS policy_verification_capture;

                -- One row per endpoint a capture's verification covers; ref 0.. in verification order.
                -- Rule-level rows outside any endpoint point to a row whose columns are all NULL.
                CREATE TABLE policy_verification_endpoint (
                  capture_id INTEGER NOT NULL, ref INTEGER NOT NULL,
                  host TEXT, endpoint_id INTEGER, namespace TEXT, pod TEXT,
                  PRIMARY KEY (capture_id, ref)
                ) WITHOUT ROWID;
                CREATE INDEX policy_verification_endpoint_id ON policy_verification_endpoint(capture_id, endpoint_id);
                -- Each distinct list of declaring policies (Kind/namespace/name, comma-separated).
                CREATE TABLE policy_verification_policies (
                  capture_id INTEGER NOT NULL, ref INTEGER NOT NULL, policies TEXT NOT NULL,
                  PRIMARY KEY (capture_id, ref)
                ) WITHOUT ROWID;
                CREATE INDEX policy_verification_policies_text ON policy_verification_policies(capture_id, policies);
                CREATE TABLE policy_verification_row (
                  capture_id INTEGER NOT NULL,
                  endpoint_ref INTEGER NOT NULL,   -- policy_verification_endpoint.ref
                  direction INTEGER,               -- 0 egress, 1 ingress
                  identity INTEGER, protocol INTEGER, port INTEGER, port_prefix_len INTEGER,
                  expected INTEGER,                -- 0 allow, 1 deny, 2 allow+proxy, NULL declared nowhere
                  enforced INTEGER,                -- -1 deny, 0 allow, N > 0 allow+proxy:N, NULL not in the map
                  verdict INTEGER NOT NULL CHECK (verdict BETWEEN 0 AND \(policyVerdicts.count - 1)),
                  policies_ref INTEGER,            -- policy_verification_policies.ref
                  reason TEXT
                );
                CREATE INDEX policy_verification_row_endpoint ON policy_verification_row(capture_id, endpoint_ref);

                CREATE VIEW policy_verification AS
                SELECT capture_id, host, endpoint_id, namespace, pod, direction, identity, protocol, port, port_prefix_len,
                       expected, enforced, verdict, policies, reason,
                       coalesce(direction, '?') || ' identity ' || coalesce(identity, '?') || ' '
                         || CASE WHEN protocol IS NULL THEN '?' WHEN protocol = 0 THEN 'any' WHEN protocol = 6 THEN 'tcp'
                                 WHEN protocol = 17 THEN 'udp' WHEN protocol = 132 THEN 'sctp' WHEN protocol = 1 THEN 'icmp'
                                 WHEN protocol = 58 THEN 'icmpv6' ELSE CAST(protocol AS TEXT) END
                         || '/' || CASE WHEN port IS NOT NULL AND port != 0
                                        THEN port || CASE WHEN port_prefix_len IS NOT NULL AND port_prefix_len < 16
                                                          THEN '/' || port_prefix_len ELSE '' END
                                        ELSE 'any' END
                         || ': ' || verdict || ' (declared ' || coalesce(expected, 'nothing')
                         || ', kernel ' || coalesce(enforced, 'nothing') || ')' AS entry,
                       seq
                FROM (SELECT v.capture_id AS capture_id, e.host AS host, e.endpoint_id AS endpoint_id, e.namespace AS namespace,
                             e.pod AS pod, CASE v.direction WHEN 0 THEN 'egress' WHEN 1 THEN 'ingress' END AS direction,
                             v.identity AS identity, v.protocol AS protocol, v.port AS port, v.port_prefix_len AS port_prefix_len,
                             CASE v.expected \(expected) END AS expected,
                             CASE WHEN v.enforced IS NULL THEN NULL WHEN v.enforced < 0 THEN 'deny' WHEN v.enforced = 0 THEN 'allow'
                                  ELSE 'allow+proxy:' || v.enforced END AS enforced,
                             CASE v.verdict \(verdict) END AS verdict,
                             p.policies AS policies, v.reason AS reason, v.rowid AS seq
                      FROM policy_verification_row v
                      JOIN policy_verification_endpoint e ON e.capture_id = v.capture_id AND e.ref = v.endpoint_ref
                      LEFT JOIN policy_verification_policies p ON p.capture_id = v.capture_id AND p.ref = v.policies_ref);

                CREATE TRIGGER policy_verification_insert INSTEAD OF INSERT ON policy_verification
                BEGIN
                  SELECT RAISE(ABORT, 'policy_verification: verdict must be one of \(policyVerdicts.joined(separator: ", "))')
                    WHERE (CASE NEW.verdict \(verdictCode) END) IS NULL;
                  SELECT RAISE(ABORT, 'policy_verification: direction must be egress, ingress or NULL')
                    WHERE NEW.direction IS NOT NULL AND NEW.direction NOT IN ('egress', 'ingress');
                  SELECT RAISE(ABORT, 'policy_verification: expected must be \(policyExpectations.joined(separator: ", ")) or NULL')
                    WHERE NEW.expected IS NOT NULL AND (CASE NEW.expected \(expectedCode) END) IS NULL;
                  SELECT RAISE(ABORT, 'policy_verification: enforced must be allow, deny, allow+proxy:PORT or NULL')
                    WHERE NEW.enforced IS NOT NULL AND (\(enforcedCode("NEW.enforced"))) IS NULL;
                  INSERT INTO policy_verification_endpoint(capture_id, ref, host, endpoint_id, namespace, pod)
                    SELECT NEW.capture_id,
                           coalesce((SELECT max(ref) FROM policy_verification_endpoint WHERE capture_id = NEW.capture_id), -1) + 1,
                           NEW.host, NEW.endpoint_id, NEW.namespace, NEW.pod
                    WHERE NOT EXISTS (SELECT 1 FROM policy_verification_endpoint WHERE capture_id = NEW.capture_id
                                        AND endpoint_id IS NEW.endpoint_id AND host IS NEW.host
                                        AND namespace IS NEW.namespace AND pod IS NEW.pod);
                  INSERT INTO policy_verification_policies(capture_id, ref, policies)
                    SELECT NEW.capture_id,
                           coalesce((SELECT max(ref) FROM policy_verification_policies WHERE capture_id = NEW.capture_id), -1) + 1,
                           NEW.policies
                    WHERE NEW.policies IS NOT NULL
                      AND NOT EXISTS (SELECT 1 FROM policy_verification_policies
                                      WHERE capture_id = NEW.capture_id AND policies = NEW.policies);
                  INSERT INTO policy_verification_row(capture_id, endpoint_ref, direction, identity, protocol, port, port_prefix_len,
                                                      expected, enforced, verdict, policies_ref, reason)
                    VALUES (NEW.capture_id,
                            (SELECT ref FROM policy_verification_endpoint WHERE capture_id = NEW.capture_id
                               AND endpoint_id IS NEW.endpoint_id AND host IS NEW.host
                               AND namespace IS NEW.namespace AND pod IS NEW.pod LIMIT 1),
                            CASE NEW.direction WHEN 'egress' THEN 0 WHEN 'ingress' THEN 1 END,
                            NEW.identity, NEW.protocol, NEW.port, NEW.port_prefix_len,
                            CASE NEW.expected \(expectedCode) END, \(enforcedCode("NEW.enforced")),
                            CASE NEW.verdict \(verdictCode) END,
                            (SELECT ref FROM policy_verification_policies WHERE capture_id = NEW.capture_id AND policies = NEW.policies),
                            NEW.reason);
                END;

                -- The earlier table's rows, copied set-wise (the trigger's per-row lookups take minutes on
                -- millions of rows); refs in first-seen order, rows in their order. Without statistics the
                -- planner would look endpoints up by capture alone: INDEXED BY (not allowed in the trigger).
                INSERT INTO policy_verification_endpoint(capture_id, ref, host, endpoint_id, namespace, pod)
                  SELECT capture_id, row_number() OVER (PARTITION BY capture_id ORDER BY first) - 1, host, endpoint_id, namespace, pod
                  FROM (SELECT capture_id, host, endpoint_id, namespace, pod, min(rowid) AS first FROM policy_verification_v1
                        GROUP BY capture_id, host, endpoint_id, namespace, pod);
                INSERT INTO policy_verification_policies(capture_id, ref, policies)
                  SELECT capture_id, row_number() OVER (PARTITION BY capture_id ORDER BY first) - 1, policies
                  FROM (SELECT capture_id, policies, min(rowid) AS first FROM policy_verification_v1
                        WHERE policies IS NOT NULL GROUP BY capture_id, policies);
                INSERT INTO policy_verification_row(capture_id, endpoint_ref, direction, identity, protocol, port, port_prefix_len,
                                                    expected, enforced, verdict, policies_ref, reason)
                  SELECT o.capture_id,
                         (SELECT e.ref FROM policy_verification_endpoint e INDEXED BY policy_verification_endpoint_id
                          WHERE e.capture_id = o.capture_id
                            AND e.endpoint_id IS o.endpoint_id AND e.host IS o.host AND e.namespace IS o.namespace AND e.pod IS o.pod),
                         CASE o.direction WHEN 'egress' THEN 0 WHEN 'ingress' THEN 1 END,
                         o.identity, o.protocol, o.port, o.port_prefix_len,
                         CASE o.expected \(expectedCode) END, \(enforcedCode("o.enforced")),
                         CASE o.verdict \(verdictCode) END,
                         (SELECT p.ref FROM policy_verification_policies p WHERE p.capture_id = o.capture_id AND p.policies = o.policies),
                         o.reason
                  FROM policy_verification_v1 o ORDER BY o.rowid;
                DROP TABLE policy_verification_v1;
                """)
        }
    }
}
