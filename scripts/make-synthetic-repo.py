#!/usr/bin/env python3
"""Writes a synthetic GitOps repository for timing `fluxgen doctor`.

The repository has many clusters laid out as home-ops repositories are
(`kubernetes/<cluster>/{bootstrap,flux,apps}`), each with a few hundred apps: a namespace
`kustomization.yaml` listing each app's Flux Kustomization (`ks.yaml`), and per app a
kustomization graph with a HelmRelease (some with `chart.spec`, most with `chartRef` and an
OCIRepository), ConfigMaps using `${VAR}` substitutions, and sometimes a component. About a
third of the clusters are migrated (flux-operator and flux-instance apps, a dedicated sync
directory); the rest are GOTK (bootstrap install, `flux/config`, a SOPS-encrypted vars file).

Output is deterministic for a given set of arguments.

    scripts/make-synthetic-repo.py --out /tmp/synthetic --files 10000
"""

import argparse
import os
import random
import shutil
import sys

APP_NAMES = [
    "echo", "whoami", "grafana", "loki", "tempo", "mimir", "prometheus", "alertmanager", "vector",
    "home-assistant", "zigbee", "mosquitto", "esphome", "frigate", "jellyfin", "plex", "sonarr",
    "radarr", "lidarr", "prowlarr", "qbittorrent", "sabnzbd", "overseerr", "tautulli", "immich",
    "paperless", "nextcloud", "vaultwarden", "authelia", "lldap", "cloudflared", "external-dns",
    "cert-manager", "ingress-nginx", "cilium", "coredns", "metrics-server", "reloader", "spegel",
    "volsync", "rook-ceph", "cloudnative-pg", "dragonfly", "minio", "gitea", "renovate", "atuin",
]
NAMESPACES = ["default", "media", "home", "observability", "network", "database", "security", "storage"]


def write(root, path, text):
    full = os.path.join(root, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as f:
        f.write(text)


def kustomization(resources, components=(), extra=""):
    lines = ["---", "apiVersion: kustomize.config.k8s.io/v1beta1", "kind: Kustomization"]
    lines.append("resources:")
    lines.extend(f"  - {r}" for r in resources)
    if components:
        lines.append("components:")
        lines.extend(f"  - {c}" for c in components)
    return "\n".join(lines) + "\n" + extra


def flux_ks(name, namespace, path, source, extra=""):
    return (
        "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n"
        f"  name: {name}\n  namespace: {namespace}\nspec:\n  interval: 1h\n  path: {path}\n  prune: true\n"
        f"  sourceRef:\n    kind: GitRepository\n    name: {source}\n    namespace: flux-system\n"
        f"  targetNamespace: {namespace}\n{extra}"
    )


def app_files(root, cluster, namespace, app, source, rng):
    """One app: ks.yaml and app/; returns the number of YAML files written."""
    base = f"kubernetes/{cluster}/apps/{namespace}/{app}"
    written = 0
    ks_extra = f"  postBuild:\n    substitute:\n      APP: {app}\n"
    if rng.random() < 0.3:
        ks_extra += "  dependsOn:\n    - name: cert-manager\n      namespace: network\n"
    write(root, f"{base}/ks.yaml", flux_ks(app, namespace, f"./{base}/app", source, ks_extra))
    written += 1
    resources = ["./helmrelease.yaml", "./configmap.yaml"]
    chart_ref = rng.random() < 0.8
    if chart_ref:
        resources.append("./ocirepository.yaml")
        write(
            root,
            f"{base}/app/ocirepository.yaml",
            "---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata:\n"
            f"  name: {app}\nspec:\n  interval: 15m\n  url: oci://ghcr.io/example/charts/{app}\n"
            f"  ref:\n    tag: {rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}\n",
        )
        written += 1
        chart = f"  chartRef:\n    kind: OCIRepository\n    name: {app}\n"
    else:
        chart = (
            f"  chart:\n    spec:\n      chart: {app}\n      version: 1.{rng.randint(0, 30)}.0\n"
            "      sourceRef:\n        kind: HelmRepository\n        name: charts\n        namespace: flux-system\n"
        )
    write(
        root,
        f"{base}/app/helmrelease.yaml",
        "---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n"
        f"  name: {app}\nspec:\n  interval: 1h\n{chart}  values:\n"
        "    ingress:\n      hosts:\n        - host: \"${APP}.${SECRET_DOMAIN}\"\n"
        "    env:\n      TZ: ${TIMEZONE:=Etc/UTC}\n    resources:\n      requests:\n        cpu: 10m\n",
    )
    write(
        root,
        f"{base}/app/configmap.yaml",
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${APP}-config\ndata:\n"
        "  cluster: ${CLUSTER_NAME}\n  script: |\n    echo $${HOME}\n",
    )
    written += 2
    components = []
    if rng.random() < 0.25:
        components.append("../../../../components/volsync")
    write(root, f"{base}/app/kustomization.yaml", kustomization(resources, components))
    written += 1
    return written


def cluster_files(root, cluster, migrated, apps, rng):
    written = 0
    source = "flux-system" if migrated else "home-kubernetes"
    flux_system = []
    if migrated:
        for app_name in ["flux-operator", "flux-instance"]:
            base = f"kubernetes/{cluster}/apps/flux-system/{app_name}"
            write(root, f"{base}/ks.yaml", flux_ks(app_name, "flux-system", f"./{base}/app", source))
            write(root, f"{base}/app/kustomization.yaml", kustomization(["./ocirepository.yaml", "./helmrelease.yaml"]))
            write(
                root,
                f"{base}/app/ocirepository.yaml",
                "---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata:\n"
                f"  name: {app_name}\nspec:\n  interval: 15m\n  layerSelector:\n"
                "    mediaType: application/vnd.cncf.helm.chart.content.v1.tar+gzip\n    operation: copy\n"
                f"  url: oci://ghcr.io/controlplaneio-fluxcd/charts/{app_name}\n  ref:\n    tag: 0.58.1\n",
            )
            values = ""
            if app_name == "flux-instance":
                values = (
                    "  values:\n    instance:\n      distribution:\n        version: 2.9.x\n"
                    "        registry: ghcr.io/fluxcd\n      sync:\n        kind: GitRepository\n"
                    "        url: ssh://git@github.com/example/synthetic\n        ref: refs/heads/main\n"
                    f"        path: kubernetes/{cluster}/sync\n"
                )
            write(
                root,
                f"{base}/app/helmrelease.yaml",
                "---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n"
                f"  name: {app_name}\n  annotations:\n    kustomize.toolkit.fluxcd.io/prune: disabled\nspec:\n"
                f"  interval: 1h\n  chartRef:\n    kind: OCIRepository\n    name: {app_name}\n{values}",
            )
            written += 4
            flux_system.append(f"./{app_name}/ks.yaml")
        sync = f"kubernetes/{cluster}/sync"
        write(root, f"{sync}/kustomization.yaml", kustomization(["./apps.yaml", "./vars"]))
        written += 1
        apps_dir = sync
    else:
        write(
            root,
            f"kubernetes/{cluster}/bootstrap/flux/kustomization.yaml",
            kustomization(["github.com/fluxcd/flux2/manifests/install?ref=v2.4.0"]),
        )
        write(root, f"kubernetes/{cluster}/flux/config/kustomization.yaml", kustomization(["./cluster.yaml", "./flux.yaml"]))
        write(
            root,
            f"kubernetes/{cluster}/flux/config/cluster.yaml",
            "---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: home-kubernetes\n"
            "  namespace: flux-system\nspec:\n  interval: 30m\n  url: ssh://git@github.com/example/synthetic\n"
            "  ref:\n    branch: main\n"
            + flux_ks("cluster", "flux-system", f"./kubernetes/{cluster}/flux", source,
                      "  decryption:\n    provider: sops\n    secretRef:\n      name: sops-age\n").replace(
                "  targetNamespace: flux-system\n", ""),
        )
        write(
            root,
            f"kubernetes/{cluster}/flux/config/flux.yaml",
            "---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata:\n  name: flux-manifests\n"
            "  namespace: flux-system\nspec:\n  interval: 10m\n  url: oci://ghcr.io/fluxcd/flux-manifests\n"
            "  ref:\n    tag: v2.4.0\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
            "metadata:\n  name: flux\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./\n  prune: true\n"
            "  sourceRef:\n    kind: OCIRepository\n    name: flux-manifests\n",
        )
        written += 4
        apps_dir = f"kubernetes/{cluster}/flux"
    vars_dir = f"{apps_dir}/vars"
    write(root, f"{vars_dir}/kustomization.yaml", kustomization(["./cluster-settings.yaml", "./cluster-secrets.sops.yaml"]))
    write(
        root,
        f"{vars_dir}/cluster-settings.yaml",
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-settings\n  namespace: flux-system\n"
        f"data:\n  CLUSTER_NAME: {cluster}\n  TIMEZONE: Europe/Paris\n",
    )
    write(
        root,
        f"{vars_dir}/cluster-secrets.sops.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: cluster-secrets\n  namespace: flux-system\nstringData:\n"
        "  SECRET_DOMAIN: ENC[AES256_GCM,data:c3ludGhldGlj,iv:c3ludGhldGlj,tag:c3ludGhldGlj,type:str]\n"
        "sops:\n  age:\n    - recipient: age1synthetic\n  lastmodified: \"2026-01-01T00:00:00Z\"\n"
        "  mac: ENC[AES256_GCM,data:c3ludGhldGlj,iv:c3ludGhldGlj,tag:c3ludGhldGlj,type:str]\n  version: 3.9.0\n",
    )
    written += 3
    post_build = (
        "  decryption:\n    provider: sops\n    secretRef:\n      name: sops-age\n"
        "  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: cluster-settings\n"
        "      - kind: Secret\n        name: cluster-secrets\n"
        "  patches:\n    - patch: |-\n        apiVersion: kustomize.toolkit.fluxcd.io/v1\n        kind: Kustomization\n"
        "        metadata:\n          name: not-used\n        spec:\n          postBuild:\n            substituteFrom:\n"
        "              - kind: ConfigMap\n                name: cluster-settings\n"
        "              - kind: Secret\n                name: cluster-secrets\n"
        "      target:\n        group: kustomize.toolkit.fluxcd.io\n        kind: Kustomization\n"
    )
    write(
        root,
        f"{apps_dir}/apps.yaml",
        flux_ks("cluster-apps", "flux-system", f"./kubernetes/{cluster}/apps", source, post_build).replace(
            "  targetNamespace: flux-system\n", ""),
    )
    written += 1
    by_namespace = {}
    for index in range(apps):
        namespace = NAMESPACES[index % len(NAMESPACES)]
        app = f"{APP_NAMES[index % len(APP_NAMES)]}-{index}"
        written += app_files(root, cluster, namespace, app, source, rng)
        by_namespace.setdefault(namespace, []).append(f"./{app}/ks.yaml")
    for namespace, entries in by_namespace.items():
        write(root, f"kubernetes/{cluster}/apps/{namespace}/kustomization.yaml", kustomization(entries))
        written += 1
    if flux_system:
        write(root, f"kubernetes/{cluster}/apps/flux-system/kustomization.yaml", kustomization(flux_system))
        written += 1
    write(
        root,
        f"kubernetes/{cluster}/components/volsync/kustomization.yaml",
        "---\napiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - ./pvc.yaml\n",
    )
    write(
        root,
        f"kubernetes/{cluster}/components/volsync/pvc.yaml",
        "---\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: ${APP}\nspec:\n"
        "  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: ${VOLSYNC_CAPACITY:=5Gi}\n",
    )
    written += 2
    return written


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="directory to write (replaced if it exists)")
    parser.add_argument("--files", type=int, default=10000, help="about how many YAML files (default 10000)")
    parser.add_argument("--clusters", type=int, default=20, help="how many clusters (default 20)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    os.makedirs(args.out)
    # About 5 files per app plus ~15 per cluster.
    apps = max(1, (args.files - 15 * args.clusters) // (5 * args.clusters))
    total = 0
    for index in range(args.clusters):
        total += cluster_files(args.out, f"cluster-{index:02d}", index % 3 == 0, apps, rng)
    # Top up to the requested count with plain ConfigMaps in the first cluster.
    extra = 0
    while total < args.files:
        write(
            args.out,
            f"kubernetes/cluster-00/apps/default/extra/configmap-{extra:05d}.yaml",
            f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra-{extra}\n  namespace: default\n"
            "data:\n  key: value\n",
        )
        extra += 1
        total += 1
    print(f"wrote {total} YAML files in {args.clusters} clusters to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
