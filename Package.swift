// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Vouch",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "vouch", targets: ["vouch"]),
        .library(name: "VouchCore", targets: ["VouchCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibGit2", pkgConfig: "libgit2",
            providers: [.apt(["libgit2-dev"])]),
        .systemLibrary(
            name: "CVouchZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(
            name: "CLibDeflate", pkgConfig: "libdeflate",
            providers: [.apt(["libdeflate-dev"])]),
        .systemLibrary(
            name: "CLibXML2", pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"])]),
        .systemLibrary(
            name: "CLibBPF", pkgConfig: "libbpf",
            providers: [.apt(["libbpf-dev"])]),
        .target(
            name: "VouchCore",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]),
        .target(
            name: "VouchCollectors",
            dependencies: [
                "VouchCore", "CLibGit2", "CLibBPF", "CVouchZlib", "CLibDeflate",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .target(
            name: "VouchControls",
            dependencies: [
                "VouchCore",
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Yams", package: "Yams"),
            ]),
        .target(
            name: "VouchReports",
            dependencies: [
                "VouchCore", "VouchControls", "CLibXML2", "CVouchZlib",
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ]),
        .executableTarget(
            name: "vouch",
            dependencies: [
                "VouchCore", "VouchCollectors", "VouchControls", "VouchReports",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .target(
            name: "VouchTestSupport",
            dependencies: ["VouchCore"],
            path: "Tests/VouchTestSupport"),
        .testTarget(name: "VouchCoreTests", dependencies: ["VouchCore", "VouchTestSupport"]),
        .testTarget(name: "VouchCollectorsTests", dependencies: ["VouchCollectors", "VouchTestSupport"]),
        .testTarget(name: "VouchControlsTests", dependencies: ["VouchControls", "VouchCollectors", "VouchTestSupport"]),
        .testTarget(name: "VouchReportsTests", dependencies: ["VouchReports", "VouchControls", "VouchTestSupport"], exclude: ["Golden"]),
        .testTarget(name: "VouchCLITests", dependencies: ["VouchCore", "VouchTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
