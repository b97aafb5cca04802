# NixOS module for scheduled Vouch captures.
#
#   imports = [ ./deploy/nixos/vouch.nix ];
#   services.vouch = {
#     enable = true;
#     package = vouch;                # the package built from this repository
#     interval = "hourly";            # a systemd OnCalendar expression
#     profile = ./vouch.yaml;
#   };
{ config, lib, pkgs, ... }:

let
  cfg = config.services.vouch;
  inherit (lib) mkEnableOption mkOption mkIf types escapeShellArgs optionals;
in
{
  options.services.vouch = {
    enable = mkEnableOption "scheduled Vouch audit evidence captures";

    package = mkOption {
      type = types.package;
      description = "The vouch package to run.";
    };

    interval = mkOption {
      type = types.str;
      default = "hourly";
      example = "*:0/15";
      description = "How often to capture, as a systemd OnCalendar expression.";
    };

    randomizedDelay = mkOption {
      type = types.str;
      default = "5min";
      description = "Spread the start of each capture by up to this much (RandomizedDelaySec).";
    };

    profile = mkOption {
      type = types.path;
      description = "The Vouch profile (vouch.yaml): sources, thresholds, scope, exceptions.";
    };

    storePath = mkOption {
      type = types.str;
      default = "/var/lib/vouch/vouch.db";
      description = "The evidence store (a SQLite file). Its folder is created and owned by `user`.";
    };

    user = mkOption {
      type = types.str;
      default = "vouch";
      description = "The user the capture runs as (created when it is the default).";
    };

    keepFor = mkOption {
      type = types.nullOr types.str;
      default = "400d";
      description = "Prune captures older than this (pruning markers keep the chain verifiable); null keeps all.";
    };

    metricsFile = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "/var/lib/prometheus-node-exporter-text-files/vouch.prom";
      description = "Write Prometheus metrics here for node_exporter's textfile collector.";
    };

    extraArgs = mkOption {
      type = types.listOf types.str;
      default = [ ];
      example = [ "--webhook" "https://alerts.example.org/vouch" ];
      description = "More arguments for `vouch run`.";
    };
  };

  config = mkIf cfg.enable {
    users.users = mkIf (cfg.user == "vouch") {
      vouch = { isSystemUser = true; group = "vouch"; home = "/var/lib/vouch"; };
    };
    users.groups = mkIf (cfg.user == "vouch") { vouch = { }; };

    systemd.tmpfiles.rules = [ "d ${builtins.dirOf cfg.storePath} 0750 ${cfg.user} - -" ];

    systemd.services.vouch = {
      description = "Vouch audit evidence capture";
      wants = [ "network-online.target" ];
      after = [ "network-online.target" ];
      serviceConfig = {
        Type = "oneshot";
        User = cfg.user;
        ExecStart = "${cfg.package}/bin/vouch " + escapeShellArgs ([
          "run" "--once" "--profile" "${cfg.profile}" "--store" cfg.storePath
        ] ++ optionals (cfg.keepFor != null) [ "--keep-for" cfg.keepFor ]
          ++ optionals (cfg.metricsFile != null) [ "--metrics-file" cfg.metricsFile ]
          ++ cfg.extraArgs);
        TimeoutStopSec = "5min";
        NoNewPrivileges = true;
        ProtectSystem = "strict";
        ProtectHome = "read-only";
        PrivateTmp = true;
        ReadWritePaths = [ (builtins.dirOf cfg.storePath) ]
          ++ optionals (cfg.metricsFile != null) [ (builtins.dirOf cfg.metricsFile) ];
      };
    };

    systemd.timers.vouch = {
      wantedBy = [ "timers.target" ];
      timerConfig = {
        OnCalendar = cfg.interval;
        RandomizedDelaySec = cfg.randomizedDelay;
        Persistent = true;
      };
    };
  };
}
