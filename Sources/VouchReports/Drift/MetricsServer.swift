import Foundation

/// A tiny blocking HTTP server for `GET /metrics`, on its own thread.
/// One request at a time is plenty for a Prometheus scrape every few seconds.
public final class MetricsServer: @unchecked Sendable {
    public let host: String
    public private(set) var port: UInt16
    private let body: @Sendable () -> String
    private var fd: Int32 = -1

    /// Parses `HOST:PORT` or `[V6]:PORT`.
    public static func parseAddress(_ text: String) throws -> (host: String, port: UInt16) {
        var host = "", port = ""
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = String(text[text.index(after: text.startIndex)..<close])
            port = String(text[text.index(after: close)...].dropFirst())
        } else if let colon = text.lastIndex(of: ":") {
            host = String(text[..<colon])
            port = String(text[text.index(after: colon)...])
        }
        guard !host.isEmpty, let p = UInt16(port) else { throw MetricsServerError.badAddress(text) }
        return (host, p)
    }

    public init(address: String, body: @escaping @Sendable () -> String) throws {
        (host, port) = try Self.parseAddress(address)
        self.body = body
    }

    /// Binds and starts serving (port 0 picks a free port; `port` then tells which).
    public func start() throws {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE
        var res: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &res) == 0, let ai = res else {
            throw MetricsServerError.badAddress("\(host):\(port)")
        }
        defer { freeaddrinfo(res) }
        fd = socket(ai.pointee.ai_family, ai.pointee.ai_socktype, ai.pointee.ai_protocol)
        guard fd >= 0 else { throw MetricsServerError.cannotListen("\(host):\(port)", String(cString: strerror(errno))) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen) == 0, listen(fd, 16) == 0 else {
            let why = String(cString: strerror(errno))
            close(fd)
            throw MetricsServerError.cannotListen("\(host):\(port)", why)
        }
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        withUnsafeMutablePointer(to: &storage) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &len) }
        }
        port = storage.ss_family == sa_family_t(AF_INET6)
            ? withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) } }
            : withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) } }
        let listener = fd
        let thread = Thread { [self] in self.serve(listener) }
        thread.name = "vouch-metrics"
        thread.start()
    }

    private func serve(_ listener: Int32) {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            handle(client)
            close(client)
        }
    }

    private func handle(_ client: Int32) {
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 4096)
        while request.count < 16_384 {
            let n = read(client, &buf, buf.count)
            if n <= 0 { break }
            request += buf[0..<n]
            if request.containsSequence("\r\n\r\n") { break }
        }
        let line = String(decoding: request.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self).split(separator: " ")
        let status: String, text: String
        if line.count >= 2, line[0] == "GET" || line[0] == "HEAD", line[1] == "/metrics" || line[1].hasPrefix("/metrics?") {
            status = "200 OK"
            text = body()
        } else {
            status = "404 Not Found"
            text = "vouch serves /metrics only\n"
        }
        let payload = Array(text.utf8)
        let head = "HTTP/1.1 \(status)\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: \(payload.count)\r\nConnection: close\r\n\r\n"
        var out = Array(head.utf8)
        if line.first != "HEAD" { out += payload }
        var sent = 0
        while sent < out.count {
            let n = out[sent...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }
            sent += n
        }
    }
}

extension Array where Element == UInt8 {
    fileprivate func containsSequence(_ s: String) -> Bool {
        let needle = Array(s.utf8)
        guard count >= needle.count else { return false }
        for i in 0...(count - needle.count) where self[i..<(i + needle.count)].elementsEqual(needle) { return true }
        return false
    }
}

public enum MetricsServerError: Error, LocalizedError, Sendable {
    case badAddress(String)
    case cannotListen(String, String)

    public var errorDescription: String? {
        switch self {
        case .badAddress(let a): return "'\(a)' is not an address to listen on: write HOST:PORT with a numeric host, e.g. 127.0.0.1:9817 or [::1]:9817."
        case .cannotListen(let a, let why): return "cannot listen on \(a): \(why); pick a free port, or another address."
        }
    }
}
