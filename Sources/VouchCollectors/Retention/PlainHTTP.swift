import Foundation

/// A tiny blocking HTTP/1.1 GET client over a TCP socket (plain http only).
///
/// Enough for the Prometheus status API: one request per connection, `Connection: close`,
/// Content-Length, chunked or read-to-close bodies, no redirects, no compression.
enum PlainHTTP {
    struct Response {
        var status: Int
        var body: Data
    }

    enum Failure: LocalizedError {
        case badURL(String)
        case connect(String, String)
        case io(String, String)
        case malformed(String, String)

        var errorDescription: String? {
            switch self {
            case .badURL(let u): return "\(u): only http://HOST:PORT URLs are supported (for https, use a local port-forward)"
            case .connect(let u, let why): return "\(u): cannot connect (\(why)); check that Prometheus listens there"
            case .io(let u, let why): return "\(u): \(why)"
            case .malformed(let u, let why): return "\(u): not an HTTP response (\(why))"
            }
        }
    }

    /// Splits `http://host:port/prefix` into host, port and path prefix.
    static func parse(_ url: String) throws -> (host: String, port: UInt16, prefix: String) {
        guard url.hasPrefix("http://") else { throw Failure.badURL(url) }
        var rest = url.dropFirst(7)
        var prefix = ""
        if let slash = rest.firstIndex(of: "/") { prefix = String(rest[slash...]); rest = rest[..<slash] }
        while prefix.hasSuffix("/") { prefix.removeLast() }
        var host = String(rest), port: UInt16 = 80
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") { guard let p = UInt16(after.dropFirst()) else { throw Failure.badURL(url) }; port = p }
        } else if let colon = rest.lastIndex(of: ":") {
            host = String(rest[..<colon])
            guard let p = UInt16(rest[rest.index(after: colon)...]) else { throw Failure.badURL(url) }
            port = p
        }
        guard !host.isEmpty else { throw Failure.badURL(url) }
        return (host, port, prefix)
    }

    static func get(host: String, port: UInt16, path: String, timeout: Int = 10) throws -> Response {
        let label = "http://\(host.contains(":") ? "[\(host)]" : host):\(port)\(path)"
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var res: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &res) == 0, let first = res else {
            throw Failure.connect(label, "cannot resolve \(host)")
        }
        defer { freeaddrinfo(res) }
        var fd: Int32 = -1
        var lastError = "no address"
        var ai: UnsafeMutablePointer<addrinfo>? = first
        while let a = ai {
            let s = socket(a.pointee.ai_family, a.pointee.ai_socktype, a.pointee.ai_protocol)
            if s >= 0 {
                var tv = timeval(tv_sec: timeout, tv_usec: 0)
                setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                if connect(s, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0 { fd = s; break }
                lastError = String(cString: strerror(errno))
                close(s)
            }
            ai = a.pointee.ai_next
        }
        guard fd >= 0 else { throw Failure.connect(label, lastError) }
        defer { close(fd) }
        let hostHeader = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        let request = "GET \(path) HTTP/1.1\r\nHost: \(hostHeader)\r\nUser-Agent: vouch\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
        let bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure.io(label, "send failed: \(String(cString: strerror(errno)))") }
            sent += n
        }
        var raw = Data()
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buf, buf.count, 0)
            if n == 0 { break }
            guard n > 0 else { throw Failure.io(label, "read failed: \(String(cString: strerror(errno))) (timeout \(timeout)s)") }
            raw.append(contentsOf: buf[0..<n])
            if raw.count > 64 << 20 { throw Failure.io(label, "response larger than 64 MiB") }
        }
        return try decode(raw, label: label)
    }

    static func decode(_ raw: Data, label: String) throws -> Response {
        guard let headerEnd = raw.range(of: Data("\r\n\r\n".utf8)) else { throw Failure.malformed(label, "no header end") }
        let head = String(decoding: raw[..<headerEnd.lowerBound], as: UTF8.self).split(separator: "\r\n")
        guard let statusLine = head.first, statusLine.hasPrefix("HTTP/1."),
              let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") else {
            throw Failure.malformed(label, "bad status line")
        }
        var headers: [String: String] = [:]
        for h in head.dropFirst() {
            guard let c = h.firstIndex(of: ":") else { continue }
            headers[h[..<c].lowercased()] = h[h.index(after: c)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Data(raw[headerEnd.upperBound...])
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            var out = Data()
            var i = body.startIndex
            while let lineEnd = body[i...].range(of: Data("\r\n".utf8)) {
                let sizeText = String(decoding: body[i..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";").first ?? ""
                guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                    throw Failure.malformed(label, "bad chunk size")
                }
                if size == 0 { break }
                let start = lineEnd.upperBound
                guard start + size <= body.endIndex else { throw Failure.malformed(label, "truncated chunk") }
                out.append(body[start..<start + size])
                i = start + size + 2
                if i > body.endIndex { break }
            }
            body = out
        } else if let len = headers["content-length"].flatMap(Int.init), len <= body.count {
            body = body.prefix(len)
        }
        return Response(status: status, body: body)
    }
}
