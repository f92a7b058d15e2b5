#!/usr/bin/env python3
"""Write a synthetic GitOps repository of exactly N files (default 10,000) in the GOTK layout
of DESIGN.md section 1, for timing `fluxgen doctor`.

    bench/make_repo.py OUT [--files N] [--clusters C]

Per cluster (`main`, `edge`, then cluster-03, ...):

    kubernetes/<c>/bootstrap/flux/kustomization.yaml   pulls github.com/fluxcd/flux2/manifests/install
    kubernetes/<c>/flux/config/{kustomization,cluster,flux}.yaml   GitRepository, root Kustomization
                                                        `cluster`, the `flux` Kustomization patching
                                                        the controllers
    kubernetes/<c>/flux/apps.yaml                       Kustomization cluster-apps -> kubernetes/<c>/apps
    kubernetes/<c>/flux/vars/cluster-secrets.sops.yaml  SOPS-encrypted postBuild variables
    kubernetes/<c>/apps/<ns>/kustomization.yaml         lists the apps' ks.yaml
    kubernetes/<c>/apps/<ns>/<app>/ks.yaml              Flux Kustomization -> ./app
    kubernetes/<c>/apps/<ns>/<app>/app/{kustomization,ocirepository,helmrelease}.yaml
                                                        (+ externalsecret.yaml every third app)

Apps are added round-robin over the clusters until the next app would pass N; the remainder is
made up of README.md files (text that is not YAML, which a scan must skip). The output is
deterministic. OUT must not exist or be empty.
"""

import argparse
import os

REPO_URL = "ssh://git@github.com/example/haynes-ops"
NAMESPACES = ["default", "database", "media", "monitoring", "network", "observability",
              "security", "storage", "home-automation", "tools"]


def cluster_files(c):
    base = f"kubernetes/{c}"
    return {
        f"{base}/bootstrap/flux/kustomization.yaml": (
            "---\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
            "resources:\n  - github.com/fluxcd/flux2/manifests/install?ref=v2.4.0\n"
            "patches:\n  - patch: |\n      $patch: delete\n      apiVersion: networking.k8s.io/v1\n"
            "      kind: NetworkPolicy\n      metadata:\n        name: not-used\n"
            "    target:\n      group: networking.k8s.io\n      kind: NetworkPolicy\n"
        ),
        f"{base}/flux/config/kustomization.yaml": (
            "---\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
            "resources:\n  - ./flux.yaml\n  - ./cluster.yaml\n"
        ),
        f"{base}/flux/config/cluster.yaml": (
            "---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n"
            "  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 30m\n"
            f"  ref:\n    branch: main\n  secretRef:\n    name: github-deploy-key\n  url: {REPO_URL}\n"
            "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n"
            "  name: cluster\n  namespace: flux-system\nspec:\n  interval: 30m\n"
            f"  path: ./kubernetes/{c}/flux\n  prune: true\n  wait: false\n  sourceRef:\n"
            "    kind: GitRepository\n    name: flux-system\n  decryption:\n    provider: sops\n"
            "    secretRef:\n      name: sops-age\n  postBuild:\n    substituteFrom:\n"
            "      - kind: Secret\n        name: cluster-secrets\n"
        ),
        f"{base}/flux/config/flux.yaml": (
            "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n"
            "  name: flux\n  namespace: flux-system\nspec:\n  interval: 30m\n"
            f"  path: ./kubernetes/{c}/bootstrap/flux\n  prune: true\n  wait: false\n"
            "  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  patches:\n"
            "    - patch: |\n        - op: add\n          path: /spec/template/spec/containers/0/args/-\n"
            "          value: --concurrent=8\n      target:\n        kind: Deployment\n"
            "        name: (kustomize-controller|helm-controller|source-controller)\n"
        ),
        f"{base}/flux/apps.yaml": (
            "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n"
            "  name: cluster-apps\n  namespace: flux-system\nspec:\n  interval: 30m\n"
            f"  path: ./kubernetes/{c}/apps\n  prune: true\n  sourceRef:\n"
            "    kind: GitRepository\n    name: flux-system\n  decryption:\n    provider: sops\n"
            "    secretRef:\n      name: sops-age\n"
        ),
        f"{base}/flux/vars/cluster-secrets.sops.yaml": (
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: cluster-secrets\n"
            "  namespace: flux-system\nstringData:\n"
            "  SECRET_DOMAIN: ENC[AES256_GCM,data:c2VjcmV0,iv:aXY=,tag:dGFn,type:str]\n"
            "sops:\n  age:\n    - recipient: age1examplexexamplexexamplexexamplexexamplexexamplexexample\n"
            "  lastmodified: \"2024-01-01T00:00:00Z\"\n  version: 3.8.1\n"
        ),
    }


def app_files(c, ns, app, with_secret):
    base = f"kubernetes/{c}/apps/{ns}/{app}"
    resources = (["./externalsecret.yaml"] if with_secret else []) + ["./helmrelease.yaml", "./ocirepository.yaml"]
    files = {
        f"{base}/ks.yaml": (
            "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n"
            f"  name: &app {app}\n  namespace: flux-system\nspec:\n  commonMetadata:\n"
            "    labels:\n      app.kubernetes.io/name: *app\n  interval: 1h\n"
            f"  path: ./kubernetes/{c}/apps/{ns}/{app}/app\n  prune: true\n  sourceRef:\n"
            f"    kind: GitRepository\n    name: flux-system\n  targetNamespace: {ns}\n  wait: false\n"
        ),
        f"{base}/app/kustomization.yaml": (
            "---\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
            + "".join(f"  - {r}\n" for r in resources)
        ),
        f"{base}/app/ocirepository.yaml": (
            "---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata:\n"
            f"  name: {app}\nspec:\n  interval: 15m\n  layerSelector:\n"
            "    mediaType: application/vnd.cncf.helm.chart.content.v1.tar+gzip\n    operation: copy\n"
            "  ref:\n    tag: 4.1.2\n  url: oci://ghcr.io/bjw-s-labs/helm/app-template\n"
        ),
        f"{base}/app/helmrelease.yaml": (
            "---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n"
            f"  name: {app}\nspec:\n  chartRef:\n    kind: OCIRepository\n    name: {app}\n"
            "  interval: 1h\n  values:\n    controllers:\n      main:\n        containers:\n"
            f"          app:\n            image:\n              repository: ghcr.io/example/{app}\n"
            "              tag: 1.0.0\n            resources:\n              requests:\n"
            "                cpu: 10m\n              limits:\n                memory: 256Mi\n"
            "    service:\n      app:\n        ports:\n          http:\n            port: 8080\n"
        ),
    }
    if with_secret:
        files[f"{base}/app/externalsecret.yaml"] = (
            "---\napiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata:\n"
            f"  name: {app}\nspec:\n  secretStoreRef:\n    kind: ClusterSecretStore\n"
            f"    name: onepassword-connect\n  target:\n    name: {app}-secret\n"
            f"  dataFrom:\n    - extract:\n        key: {app}\n"
        )
    return files


def build(total, clusters):
    names = ["main", "edge"] + [f"cluster-{i:02d}" for i in range(3, clusters + 1)]
    files = {}
    for c in names[:clusters]:
        files.update(cluster_files(c))
    apps = {c: {ns: [] for ns in NAMESPACES} for c in names[:clusters]}
    index = 0
    index_files = 0  # namespace kustomization.yaml files, written after the loop
    while True:
        c = names[index % clusters]
        ns = NAMESPACES[(index // clusters) % len(NAMESPACES)]
        app = f"app-{index:05d}"
        new = app_files(c, ns, app, with_secret=index % 3 == 0)
        # +1 for a namespace kustomization.yaml that does not exist yet
        extra = 0 if apps[c][ns] else 1
        if len(files) + index_files + len(new) + extra > total:
            break
        files.update(new)
        apps[c][ns].append(app)
        index_files += extra
        index += 1
    for c, by_ns in apps.items():
        for ns, listed in by_ns.items():
            if listed:
                files[f"kubernetes/{c}/apps/{ns}/kustomization.yaml"] = (
                    "---\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
                    f"namespace: {ns}\nresources:\n" + "".join(f"  - ./{a}/ks.yaml\n" for a in listed)
                )
    # Pad with README.md files (not YAML) to exactly `total`.
    pad = 0
    all_apps = [(c, ns, a) for c, by_ns in apps.items() for ns, listed in by_ns.items() for a in listed]
    while len(files) < total:
        c, ns, a = all_apps[pad % len(all_apps)]
        files[f"kubernetes/{c}/apps/{ns}/{a}/README.md"] = f"# {a}\n\nNotes for {a} in {ns}.\n"
        pad += 1
    return files


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--clusters", type=int, default=2)
    args = parser.parse_args()
    if args.clusters < 1:
        parser.error("--clusters must be at least 1")
    if os.path.exists(args.out) and os.listdir(args.out):
        parser.error(f"{args.out} exists and is not empty")
    files = build(args.files, args.clusters)
    for rel, text in sorted(files.items()):
        path = os.path.join(args.out, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    print(f"{len(files)} files in {args.out}")


if __name__ == "__main__":
    main()
