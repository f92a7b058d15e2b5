//! The tuning values.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::parameters::{HelmCache, KubeApiLimits, OomWatch};
use crate::{Component, objects::Duration, objects::KustomizePatch};
use crate::{Quantity, ResourceAmounts, Resources};

/// One controller tuning. Values compare, so conflicts can be found; a preset is a
/// `Vec<Tuning>`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Tuning {
    /// `--concurrent`: how many objects a controller reconciles in parallel.
    Workers {
        /// The controllers.
        controllers: Vec<Component>,
        /// Parallel reconciliations.
        workers: u32,
    },
    /// `--requeue-dependency`: how soon an object waiting for a dependency is retried.
    RequeueDependency {
        /// The controllers.
        controllers: Vec<Component>,
        /// The retry interval.
        interval: Duration,
    },
    /// `--kube-api-qps` and `--kube-api-burst`: client-side limits towards the API server.
    KubeApiLimits {
        /// The controllers.
        controllers: Vec<Component>,
        /// The limits.
        limits: KubeApiLimits,
    },
    /// CPU and memory limits and requests of the `manager` container.
    Resources {
        /// The controllers.
        controllers: Vec<Component>,
        /// Limits and requests.
        resources: Resources,
    },
    /// kustomize-controller builds in memory: its `temp` volume becomes a memory-backed
    /// emptyDir.
    InMemoryBuilds,
    /// source-controller's Helm index cache.
    HelmCache(HelmCache),
    /// helm-controller's near-OOM detection (also turns the `OOMWatch` feature gate on).
    OomWatch(OomWatch),
    /// One feature gate of one controller.
    FeatureGate {
        /// The controller.
        controller: Component,
        /// The gate's name, e.g. `DisableChartDigestTracking`.
        gate: String,
        /// On or off.
        enabled: bool,
    },
    /// `--watch-configs-label-selector`: which ConfigMaps and Secrets are watched for changes.
    WatchConfigsSelector {
        /// The controllers (kustomize-controller, helm-controller).
        controllers: Vec<Component>,
        /// The label selector, e.g. `owner!=helm`.
        selector: String,
    },
    /// `--sops-age-secret`: kustomize-controller's default SOPS age key Secret.
    SopsAgeSecret {
        /// The Secret's name.
        secret: String,
    },
    /// `--log-level`.
    LogLevel {
        /// The controllers.
        controllers: Vec<Component>,
        /// The level.
        level: LogLevel,
    },
    /// Runs the controllers on control-plane nodes: a node affinity for
    /// `node-role.kubernetes.io/control-plane` and a toleration of its taint.
    ControlPlaneScheduling {
        /// The controllers.
        controllers: Vec<Component>,
    },
    /// Additions to the sync `Kustomization` the FluxInstance creates (a patch that targets
    /// `kind: Kustomization`).
    SyncKustomization(SyncKustomizationTuning),
    /// A raw kustomize patch, kept verbatim: the escape hatch.
    Custom(KustomizePatch),
}

/// Controller log levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    /// Everything.
    Trace,
    /// Debugging detail.
    Debug,
    /// The default.
    Info,
    /// Errors only.
    Error,
}

impl LogLevel {
    /// The flag value.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Trace => "trace",
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Error => "error",
        }
    }
}

/// What is added to the sync Kustomization the FluxInstance creates.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct SyncKustomizationTuning {
    /// SOPS decryption of the sync path with the age key in this Secret (e.g. `sops-age`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "generator", schemars(pattern(crate::patterns::DNS_SUBDOMAIN.regex), length(max = crate::patterns::DNS_SUBDOMAIN.max_length)))]
    pub decryption_secret: Option<String>,
    /// ConfigMaps and Secrets of `postBuild` substitution variables.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub substitute_from: Vec<SubstituteFrom>,
    /// Wait for the applied objects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wait: Option<bool>,
    /// Timeout of apply and health checks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
}

/// A ConfigMap or Secret of `postBuild` variables.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SubstituteFrom {
    /// `ConfigMap` or `Secret`.
    pub kind: SubstituteKind,
    /// Its name.
    #[cfg_attr(feature = "generator", schemars(pattern(crate::patterns::DNS_SUBDOMAIN.regex), length(max = crate::patterns::DNS_SUBDOMAIN.max_length)))]
    pub name: String,
    /// Whether it may be missing.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub optional: bool,
}

/// Kinds that hold `postBuild` variables.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
pub enum SubstituteKind {
    /// A ConfigMap.
    ConfigMap,
    /// A Secret.
    Secret,
}

fn sorted(controllers: impl IntoIterator<Item = Component>) -> Vec<Component> {
    let mut controllers: Vec<Component> = controllers.into_iter().collect();
    controllers.sort();
    controllers.dedup();
    controllers
}

impl Tuning {
    /// `--concurrent=<workers>` on the given controllers.
    ///
    /// ```
    /// use fluxgen_core::{Component, Tuning};
    /// let tuning = Tuning::workers([Component::KustomizeController], 20);
    /// assert_eq!(tuning.to_string(), "workers: 20 on kustomize-controller");
    /// ```
    pub fn workers(controllers: impl IntoIterator<Item = Component>, workers: u32) -> Self {
        Tuning::Workers {
            controllers: sorted(controllers),
            workers,
        }
    }

    /// `--requeue-dependency=<interval>`.
    ///
    /// ```
    /// use fluxgen_core::{Component, Tuning};
    /// let tuning = Tuning::requeue_dependency([Component::HelmController], "5s");
    /// assert!(matches!(tuning, Tuning::RequeueDependency { .. }));
    /// ```
    pub fn requeue_dependency(controllers: impl IntoIterator<Item = Component>, interval: impl Into<Duration>) -> Self {
        Tuning::RequeueDependency {
            controllers: sorted(controllers),
            interval: interval.into(),
        }
    }

    /// `--kube-api-qps` and `--kube-api-burst`.
    ///
    /// ```
    /// use fluxgen_core::{Component, tuning::KubeApiLimits, Tuning};
    /// let tuning = Tuning::kube_api_limits([Component::KustomizeController], 500, 1000);
    /// assert!(matches!(tuning, Tuning::KubeApiLimits { limits: KubeApiLimits { qps: 500, burst: 1000 }, .. }));
    /// ```
    pub fn kube_api_limits(controllers: impl IntoIterator<Item = Component>, qps: u32, burst: u32) -> Self {
        Tuning::KubeApiLimits {
            controllers: sorted(controllers),
            limits: KubeApiLimits { qps, burst },
        }
    }

    /// A memory limit for the `manager` container.
    ///
    /// ```
    /// use fluxgen_core::{Component, Tuning};
    /// let tuning = Tuning::memory_limit([Component::HelmController], "2Gi");
    /// assert_eq!(tuning.to_string(), "memoryLimit: 2Gi on helm-controller");
    /// ```
    pub fn memory_limit(controllers: impl IntoIterator<Item = Component>, memory: impl Into<Quantity>) -> Self {
        Tuning::Resources {
            controllers: sorted(controllers),
            resources: Resources {
                limits: ResourceAmounts {
                    cpu: None,
                    memory: Some(memory.into()),
                },
                requests: ResourceAmounts::default(),
            },
        }
    }

    /// Limits and requests for the `manager` container.
    ///
    /// ```
    /// use fluxgen_core::{Component, objects::ResourceAmounts, Tuning};
    /// let limits = ResourceAmounts::of("2", "2Gi");
    /// let tuning = Tuning::resources([Component::SourceController], limits, ResourceAmounts::default());
    /// assert!(matches!(tuning, Tuning::Resources { .. }));
    /// ```
    pub fn resources(
        controllers: impl IntoIterator<Item = Component>,
        limits: ResourceAmounts,
        requests: ResourceAmounts,
    ) -> Self {
        Tuning::Resources {
            controllers: sorted(controllers),
            resources: Resources { limits, requests },
        }
    }

    /// Source-controller's Helm index cache.
    ///
    /// ```
    /// let tuning = fluxgen_core::Tuning::helm_cache(10, "60m", "5m");
    /// assert_eq!(tuning.to_string(), "helmCache: maxSize 10, ttl 60m, purgeInterval 5m");
    /// ```
    pub fn helm_cache(max_size: u32, ttl: impl Into<Duration>, purge_interval: impl Into<Duration>) -> Self {
        Tuning::HelmCache(HelmCache {
            max_size,
            ttl: ttl.into(),
            purge_interval: purge_interval.into(),
        })
    }

    /// Helm-controller's near-OOM detection.
    ///
    /// ```
    /// let tuning = fluxgen_core::Tuning::oom_watch(95, "500ms");
    /// assert!(matches!(tuning, fluxgen_core::Tuning::OomWatch(fluxgen_core::tuning::OomWatch { memory_threshold: 95, .. })));
    /// ```
    pub fn oom_watch(memory_threshold: u8, interval: impl Into<Duration>) -> Self {
        Tuning::OomWatch(OomWatch {
            memory_threshold,
            interval: interval.into(),
        })
    }

    /// One feature gate.
    ///
    /// ```
    /// use fluxgen_core::{Component, Tuning};
    /// let tuning = Tuning::feature_gate(Component::HelmController, "DisableChartDigestTracking", true);
    /// assert_eq!(tuning.to_string(), "featureGates: DisableChartDigestTracking=true on helm-controller");
    /// ```
    pub fn feature_gate(controller: Component, gate: impl Into<String>, enabled: bool) -> Self {
        Tuning::FeatureGate {
            controller,
            gate: gate.into(),
            enabled,
        }
    }

    /// `--watch-configs-label-selector`.
    ///
    /// ```
    /// use fluxgen_core::{Component, Tuning};
    /// let tuning = Tuning::watch_configs_selector([Component::HelmController], "owner!=helm");
    /// assert!(matches!(tuning, Tuning::WatchConfigsSelector { .. }));
    /// ```
    pub fn watch_configs_selector(
        controllers: impl IntoIterator<Item = Component>,
        selector: impl Into<String>,
    ) -> Self {
        Tuning::WatchConfigsSelector {
            controllers: sorted(controllers),
            selector: selector.into(),
        }
    }

    /// `--sops-age-secret` on kustomize-controller.
    ///
    /// ```
    /// let tuning = fluxgen_core::Tuning::sops_age_secret("sops-age");
    /// assert_eq!(tuning.to_string(), "sopsAgeSecret: sops-age on kustomize-controller");
    /// ```
    pub fn sops_age_secret(secret: impl Into<String>) -> Self {
        Tuning::SopsAgeSecret { secret: secret.into() }
    }

    /// `--log-level`.
    ///
    /// ```
    /// use fluxgen_core::{Component, tuning::LogLevel, Tuning};
    /// let tuning = Tuning::log_level([Component::HelmController], LogLevel::Debug);
    /// assert_eq!(tuning.to_string(), "logLevel: debug on helm-controller");
    /// ```
    pub fn log_level(controllers: impl IntoIterator<Item = Component>, level: LogLevel) -> Self {
        Tuning::LogLevel {
            controllers: sorted(controllers),
            level,
        }
    }

    /// Control-plane scheduling.
    ///
    /// ```
    /// use fluxgen_core::{Component, Tuning};
    /// let tuning = Tuning::control_plane_scheduling(Component::DEFAULTS);
    /// assert!(matches!(tuning, Tuning::ControlPlaneScheduling { .. }));
    /// ```
    pub fn control_plane_scheduling(controllers: impl IntoIterator<Item = Component>) -> Self {
        Tuning::ControlPlaneScheduling {
            controllers: sorted(controllers),
        }
    }

    /// The controllers the tuning changes (none for the sync Kustomization; for a raw patch,
    /// the controllers its target names).
    pub fn controllers(&self) -> Vec<Component> {
        match self {
            Tuning::Workers { controllers, .. }
            | Tuning::RequeueDependency { controllers, .. }
            | Tuning::KubeApiLimits { controllers, .. }
            | Tuning::Resources { controllers, .. }
            | Tuning::WatchConfigsSelector { controllers, .. }
            | Tuning::LogLevel { controllers, .. }
            | Tuning::ControlPlaneScheduling { controllers } => controllers.clone(),
            Tuning::InMemoryBuilds | Tuning::SopsAgeSecret { .. } => vec![Component::KustomizeController],
            Tuning::HelmCache(_) => vec![Component::SourceController],
            Tuning::OomWatch(_) => vec![Component::HelmController],
            Tuning::FeatureGate { controller, .. } => vec![*controller],
            Tuning::SyncKustomization(_) => Vec::new(),
            Tuning::Custom(patch) => super::lower::targeted_controllers(patch),
        }
    }

    /// This tuning with what `replacing` sets removed: `None` when nothing is left. A tuning
    /// replaces another of the same knob on the same controllers (a feature gate: the same
    /// gate); raw patches are never replaced.
    #[cfg(feature = "generator")]
    pub(crate) fn without(&self, replacing: &Tuning) -> Option<Tuning> {
        if self.key() != replacing.key() || matches!(self, Tuning::Custom(_)) {
            return Some(self.clone());
        }
        let dropped = replacing.controllers();
        let keep = |controllers: &[Component]| -> Option<Vec<Component>> {
            let left: Vec<Component> = controllers.iter().copied().filter(|c| !dropped.contains(c)).collect();
            (!left.is_empty()).then_some(left)
        };
        match (self, replacing) {
            (
                Tuning::FeatureGate { controller, gate, .. },
                Tuning::FeatureGate {
                    controller: other,
                    gate: other_gate,
                    ..
                },
            ) => (controller != other || gate != other_gate).then(|| self.clone()),
            (Tuning::Workers { controllers, workers }, _) => keep(controllers).map(|controllers| Tuning::Workers {
                controllers,
                workers: *workers,
            }),
            (Tuning::RequeueDependency { controllers, interval }, _) => {
                keep(controllers).map(|controllers| Tuning::RequeueDependency {
                    controllers,
                    interval: interval.clone(),
                })
            }
            (Tuning::KubeApiLimits { controllers, limits }, _) => {
                keep(controllers).map(|controllers| Tuning::KubeApiLimits {
                    controllers,
                    limits: *limits,
                })
            }
            // Resources replace amount by amount: requests.cpu leaves an inherited memory limit.
            (Tuning::Resources { resources: ours, .. }, Tuning::Resources { resources: theirs, .. })
                if !ours.limits.overlaps(&theirs.limits) && !ours.requests.overlaps(&theirs.requests) =>
            {
                Some(self.clone())
            }
            (Tuning::Resources { controllers, resources }, _) => {
                keep(controllers).map(|controllers| Tuning::Resources {
                    controllers,
                    resources: resources.clone(),
                })
            }
            (Tuning::WatchConfigsSelector { controllers, selector }, _) => {
                keep(controllers).map(|controllers| Tuning::WatchConfigsSelector {
                    controllers,
                    selector: selector.clone(),
                })
            }
            (Tuning::LogLevel { controllers, level }, _) => keep(controllers).map(|controllers| Tuning::LogLevel {
                controllers,
                level: *level,
            }),
            (Tuning::ControlPlaneScheduling { controllers }, _) => {
                keep(controllers).map(|controllers| Tuning::ControlPlaneScheduling { controllers })
            }
            _ => None,
        }
    }

    /// The config key this tuning is written under.
    pub fn key(&self) -> &'static str {
        match self {
            Tuning::Workers { .. } => "workers",
            Tuning::RequeueDependency { .. } => "requeueDependency",
            Tuning::KubeApiLimits { .. } => "kubeApiLimits",
            Tuning::Resources { .. } => "resources",
            Tuning::InMemoryBuilds => "inMemoryBuilds",
            Tuning::HelmCache(_) => "helmCache",
            Tuning::OomWatch(_) => "oomWatch",
            Tuning::FeatureGate { .. } => "featureGates",
            Tuning::WatchConfigsSelector { .. } => "watchConfigsSelector",
            Tuning::SopsAgeSecret { .. } => "sopsAgeSecret",
            Tuning::LogLevel { .. } => "logLevel",
            Tuning::ControlPlaneScheduling { .. } => "controlPlane",
            Tuning::SyncKustomization(_) => "syncKustomization",
            Tuning::Custom(_) => "patches",
        }
    }
}

impl fmt::Display for Tuning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let on = Component::target_name(&self.controllers())
            .trim_matches(['(', ')'])
            .replace('|', ", ");
        match self {
            Tuning::Workers { workers, .. } => write!(f, "workers: {workers} on {on}"),
            Tuning::RequeueDependency { interval, .. } => write!(f, "requeueDependency: {interval} on {on}"),
            Tuning::KubeApiLimits {
                limits: KubeApiLimits { qps, burst },
                ..
            } => write!(f, "kubeApiLimits: qps {qps}, burst {burst} on {on}"),
            // `memoryLimit` is the key that sets a memory limit alone: name it as written.
            Tuning::Resources {
                resources:
                    Resources {
                        limits:
                            ResourceAmounts {
                                cpu: None,
                                memory: Some(memory),
                            },
                        requests,
                    },
                ..
            } if requests.is_empty() => write!(f, "memoryLimit: {memory} on {on}"),
            Tuning::Resources {
                resources: Resources { limits, requests },
                ..
            } => {
                write!(f, "resources:")?;
                for (name, amounts) in [("limits", limits), ("requests", requests)] {
                    if amounts.is_empty() {
                        continue;
                    }
                    write!(f, " {name}")?;
                    if let Some(cpu) = &amounts.cpu {
                        write!(f, " cpu {cpu}")?;
                    }
                    if let Some(memory) = &amounts.memory {
                        write!(f, " memory {memory}")?;
                    }
                }
                write!(f, " on {on}")
            }
            Tuning::InMemoryBuilds => write!(f, "inMemoryBuilds on {on}"),
            Tuning::HelmCache(HelmCache {
                max_size,
                ttl,
                purge_interval,
            }) => {
                write!(
                    f,
                    "helmCache: maxSize {max_size}, ttl {ttl}, purgeInterval {purge_interval}"
                )
            }
            Tuning::OomWatch(OomWatch {
                memory_threshold,
                interval,
            }) => {
                write!(
                    f,
                    "oomWatch: memoryThreshold {memory_threshold}, interval {interval} on {on}"
                )
            }
            Tuning::FeatureGate { gate, enabled, .. } => write!(f, "featureGates: {gate}={enabled} on {on}"),
            Tuning::WatchConfigsSelector { selector, .. } => write!(f, "watchConfigsSelector: {selector} on {on}"),
            Tuning::SopsAgeSecret { secret } => write!(f, "sopsAgeSecret: {secret} on {on}"),
            Tuning::LogLevel { level, .. } => write!(f, "logLevel: {} on {on}", level.as_str()),
            Tuning::ControlPlaneScheduling { .. } => write!(f, "controlPlane on {on}"),
            Tuning::SyncKustomization(_) => write!(f, "syncKustomization"),
            Tuning::Custom(patch) => {
                let target = patch.target.as_ref();
                let kind = target.and_then(|t| t.kind.as_deref()).unwrap_or("any kind");
                let name = target.and_then(|t| t.name.as_deref()).unwrap_or("any name");
                write!(f, "raw patch on {kind} {name}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Component::{HelmController, SourceController};

    #[test]
    fn a_tuning_replaces_only_what_it_sets() {
        let preset = Tuning::memory_limit([SourceController, HelmController], "2Gi");
        let cpu_only = Tuning::resources(
            [SourceController],
            ResourceAmounts::default(),
            ResourceAmounts {
                cpu: Some("200m".into()),
                memory: None,
            },
        );
        assert_eq!(
            preset.without(&cpu_only),
            Some(preset.clone()),
            "a cpu request keeps the memory limit"
        );
        let memory = Tuning::memory_limit([SourceController], "3Gi");
        assert_eq!(
            preset.without(&memory),
            Some(Tuning::memory_limit([HelmController], "2Gi"))
        );
        let workers = Tuning::workers([SourceController, HelmController], 10);
        assert_eq!(
            workers.without(&Tuning::workers([SourceController, HelmController], 5)),
            None
        );
        assert_eq!(
            workers.without(&memory),
            Some(workers.clone()),
            "another knob is left alone"
        );
    }
}
