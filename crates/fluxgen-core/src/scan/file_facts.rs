//! What one YAML file adds to the model, read on its own: the file is read, parsed and its
//! facts taken on whichever core is free, its tree dropped there, and the facts then join the
//! model in the walk's order ([`ScannedRepository::add_file`]), so the model is the same
//! whatever core read which file.

use std::collections::BTreeMap;

use super::boundary::Root;
use super::documents::{self, Content};
use super::flux_bootstrap::{self, BootstrapController};
use super::walk::Found;
use super::{
    KustomizeFile, Note, ObjectRef, ScannedAlert, ScannedExternalSecret, ScannedFluxInstance, ScannedGitRepository,
    ScannedHelmRelease, ScannedKustomization, ScannedOciRepository, ScannedProvider, ScannedReceiver,
    ScannedRepository, SopsFile, VariableUse, credentials, fields, flux_objects, kustomize_graph, model,
};
use crate::yaml::Node;

/// The facts of one file, in its documents' order.
#[derive(Default)]
pub(super) struct FileFacts {
    /// What was skipped or could not be read, and what its objects get wrong.
    notes: Vec<Note>,
    /// Its `${VAR}` references, by file.
    variable_uses: BTreeMap<String, Vec<VariableUse>>,
    /// The file, when SOPS-encrypted.
    sops: Option<SopsFile>,
    /// Its kustomize documents.
    kustomize_files: Vec<KustomizeFile>,
    /// Its objects.
    objects: Vec<ObjectRef>,
    git_repositories: Vec<ScannedGitRepository>,
    oci_repositories: Vec<ScannedOciRepository>,
    kustomizations: Vec<ScannedKustomization>,
    /// Each HelmRelease, with its inline values when they have an `instance` (only those can
    /// define a FluxInstance: the others are not kept until the chart is known).
    helm_releases: Vec<(ScannedHelmRelease, Option<Node>)>,
    receivers: Vec<ScannedReceiver>,
    alerts: Vec<ScannedAlert>,
    providers: Vec<ScannedProvider>,
    external_secrets: Vec<ScannedExternalSecret>,
    flux_instances: Vec<ScannedFluxInstance>,
    /// The controller Deployments of a `gotk-components.yaml`.
    controllers: Vec<BootstrapController>,
}

/// Reads one file of the walk and takes its facts.
pub(super) fn read(found: &Found, skip_generated: bool, root: Root<'_>) -> FileFacts {
    let mut facts = FileFacts::default();
    let content = documents::read(found, skip_generated, &mut facts.notes, &mut facts.variable_uses);
    match content {
        Content::Skipped => {}
        Content::Sops(file) => facts.sops = Some(file),
        Content::Documents(documents) => {
            for document in documents.iter().filter(|d| documents::is_mapping(d)) {
                facts.add(root, document, &found.relative);
            }
        }
    }
    facts
}

impl FileFacts {
    /// Adds one plaintext document of `file`.
    fn add(&mut self, root: Root<'_>, document: &Node, file: &str) {
        if kustomize_graph::is_kustomization_file(file) && kustomize_graph::is_kustomize_document(document) {
            let read = kustomize_graph::kustomize_file(root, document, file, &mut self.notes);
            self.kustomize_files.push(read);
            return;
        }
        let Some(object) = flux_objects::object_ref(document, file) else {
            return;
        };
        let group = flux_objects::group(&object.api_version);
        fields::check(group, &object.kind, &object.name, document, file, &mut self.notes);
        credentials::check(document, file, &mut self.notes);
        match (group, object.kind.as_str()) {
            ("source.toolkit.fluxcd.io", "GitRepository") => {
                self.git_repositories.push(flux_objects::git_repository(document, file));
            }
            ("source.toolkit.fluxcd.io", "OCIRepository") => {
                self.oci_repositories.push(flux_objects::oci_repository(document, file));
            }
            ("kustomize.toolkit.fluxcd.io", "Kustomization") => {
                self.kustomizations.push(flux_objects::kustomization(document, file));
            }
            ("helm.toolkit.fluxcd.io", "HelmRelease") => {
                let values = document
                    .at_path(["spec", "values"])
                    .filter(|values| values.get("instance").is_some())
                    .cloned();
                self.helm_releases
                    .push((flux_objects::helm_release(document, file), values));
            }
            ("notification.toolkit.fluxcd.io", "Receiver") => {
                self.receivers.push(flux_objects::receiver(document, file));
            }
            ("notification.toolkit.fluxcd.io", "Alert") => self.alerts.push(flux_objects::alert(document, file)),
            ("notification.toolkit.fluxcd.io", "Provider") => {
                self.providers.push(flux_objects::provider(document, file));
            }
            ("external-secrets.io", "ExternalSecret") => {
                self.external_secrets
                    .push(flux_objects::external_secret(document, file));
            }
            ("apps", "Deployment") if flux_bootstrap::is_gotk_file(file) => {
                self.controllers
                    .push(flux_bootstrap::controller(document, &object.name, &object.at));
            }
            ("fluxcd.controlplane.io", "FluxInstance") => {
                if let Some(spec) = document.get("spec") {
                    self.flux_instances.push(flux_objects::flux_instance(
                        object.name.clone(),
                        object.namespace.clone(),
                        spec,
                        model::InstanceSource::Manifest,
                        file,
                        object.at.clone(),
                    ));
                }
            }
            _ => {}
        }
        self.objects.push(object);
    }
}

impl ScannedRepository {
    /// Adds the facts of the next file of the walk; the HelmReleases' inline values go to
    /// `inline_values` (one per release) and the controllers to `controllers`.
    pub(super) fn add_file(
        &mut self,
        facts: FileFacts,
        inline_values: &mut Vec<Option<Node>>,
        controllers: &mut Vec<BootstrapController>,
    ) {
        let FileFacts {
            mut notes,
            variable_uses,
            sops,
            kustomize_files,
            mut objects,
            mut git_repositories,
            mut oci_repositories,
            mut kustomizations,
            helm_releases,
            mut receivers,
            mut alerts,
            mut providers,
            mut external_secrets,
            mut flux_instances,
            controllers: mut found_controllers,
        } = facts;
        self.notes.append(&mut notes);
        self.variable_uses.extend(variable_uses);
        self.sops_files.extend(sops);
        for read in kustomize_files {
            // The first kustomization of a directory is the one kustomize reads.
            self.kustomize_files.entry(read.dir.clone()).or_insert(read);
        }
        self.objects.append(&mut objects);
        self.git_repositories.append(&mut git_repositories);
        self.oci_repositories.append(&mut oci_repositories);
        self.kustomizations.append(&mut kustomizations);
        for (release, values) in helm_releases {
            self.helm_releases.push(release);
            inline_values.push(values);
        }
        self.receivers.append(&mut receivers);
        self.alerts.append(&mut alerts);
        self.providers.append(&mut providers);
        self.external_secrets.append(&mut external_secrets);
        self.flux_instances.append(&mut flux_instances);
        controllers.append(&mut found_controllers);
    }

    /// Gives back the room the lists grew into and do not use: a list that grows by doubling
    /// holds up to half again what it needs (on the bench's 10,000 files, 1.7 MB of the
    /// Kustomizations, HelmReleases and OCIRepositories, while the build graph is made).
    pub(super) fn fit_lists(&mut self) {
        self.objects.shrink_to_fit();
        self.git_repositories.shrink_to_fit();
        self.oci_repositories.shrink_to_fit();
        self.kustomizations.shrink_to_fit();
        self.helm_releases.shrink_to_fit();
        self.receivers.shrink_to_fit();
        self.alerts.shrink_to_fit();
        self.providers.shrink_to_fit();
        self.external_secrets.shrink_to_fit();
        self.sops_files.shrink_to_fit();
        self.notes.shrink_to_fit();
    }
}
