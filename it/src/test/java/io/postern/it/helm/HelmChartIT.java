package io.postern.it.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.postern.cli.Main;
import io.postern.config.ConfigLoader;
import io.postern.config.ChangeTracking;
import io.postern.config.ListenerConfig;
import io.postern.config.OutboundConfig.HostPort;
import io.postern.config.OutboundConfig.TlsPolicy;
import io.postern.config.PosternConfig;
import io.postern.config.Role;
import io.postern.config.TlsMode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * The Helm chart, offline: {@code helm lint} and {@code helm template} through helm-java (the
 * native Helm library, no cluster), for the default values and every value set under
 * {@code helm/postern/ci/}. The rendered manifests are parsed into fabric8's typed model and
 * checked as a kubelet would see them, and the rendered postern.yaml goes through Postern's own
 * {@code check-config} with every file it references laid out as the pod's mounts would.
 */
class HelmChartIT {
    private static final Path HOME = Path.of(System.getProperty("postern.home", "..")).toAbsolutePath().normalize();
    private static final Path CHART = HOME.resolve("helm/postern");
    private static final String RELEASE = "mail";
    private static final String NAMESPACE = "mail-ns";
    private static final String FULLNAME = "mail-postern";
    /** The front's preStop: pause, then `postern queue drain` with a small JVM, bounded by its timeout. */
    private static final Pattern PRESTOP_DRAIN = Pattern.compile("sleep (\\d+) && exec java -Xmx64m -XX:\\+UseSerialGC"
            + " -XX:TieredStopAtLevel=1 -jar /opt/postern/postern.jar queue drain --config /etc/postern/postern.yaml"
            + " --timeout (\\d+)s");
    private static final KubernetesSerialization K8S = new KubernetesSerialization();
    private static final Map<String, Integer> STANDARD_PORTS =
            Map.of("smtp", 25, "submission", 587, "submissions", 465, "pop3", 110, "pop3s", 995);

    @TempDir
    Path temp;

    /** "default" and the file names under ci/; a new scenario file is picked up without a code change. */
    static Stream<String> scenarios() throws IOException {
        try (Stream<Path> files = Files.list(CHART.resolve("ci"))) {
            List<String> names = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yaml")).sorted().toList();
            assertThat(names).contains("active-directory-values.yaml", "openldap-values.yaml",
                    "existing-secret-values.yaml", "delivery-off-values.yaml");
            return Stream.concat(Stream.of("default"), names.stream());
        }
    }

    /**
     * {@code helm lint --strict} with the defaults and with each ci/ file. helm-java's lint takes no
     * values file, so a scenario is linted as a copy of the chart whose values.yaml is the defaults
     * with the scenario merged in, as {@code helm lint -f} would merge them.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void lintPassesStrictly(String scenario, @TempDir Path tmp) throws IOException {
        Path chart = scenario.equals("default") ? CHART : chartWithValues(scenario, tmp);
        LintResult result = new Helm(chart).lint().strict().call();
        assertThat(result.isFailed()).as("helm lint --strict %s: %s", scenario, result.getMessages()).isFalse();
        assertThat(result.getMessages()).noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]"));
    }

    private static Path chartWithValues(String scenario, Path tmp) throws IOException {
        Path copy = tmp.resolve("postern");
        try (Stream<Path> files = Files.walk(CHART)) {
            for (Path from : files.toList()) {
                Path to = copy.resolve(CHART.relativize(from).toString());
                if (Files.isDirectory(from)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(from, to);
                }
            }
        }
        Load load = new Load(LoadSettings.builder().build());
        Object defaults = load.loadFromString(Files.readString(CHART.resolve("values.yaml")));
        Object overrides = load.loadFromString(Files.readString(CHART.resolve("ci").resolve(scenario)));
        Object merged = mergeValues(defaults, overrides);
        // As JSON (which is YAML): every string stays a string ("0660" would become an octal number).
        Files.writeString(copy.resolve("values.yaml"),
                json(merged));
        return copy;
    }

    /** Loaded YAML as JSON: maps, lists, strings (quoted), numbers, booleans and null. */
    private static String json(Object value) {
        return switch (value) {
            case null -> "null";
            case Map<?, ?> map -> map.entrySet().stream()
                    .map(e -> json(String.valueOf(e.getKey())) + ":" + json(e.getValue()))
                    .collect(java.util.stream.Collectors.joining(",", "{", "}"));
            case List<?> list -> list.stream().map(HelmChartIT::json)
                    .collect(java.util.stream.Collectors.joining(",", "[", "]"));
            case Number n -> n.toString();
            case Boolean b -> b.toString();
            default -> {
                StringBuilder out = new StringBuilder("\"");
                for (char c : value.toString().toCharArray()) {
                    out.append(c == '"' || c == '\\' ? "\\" + c : c < 0x20 ? String.format("\\u%04x", (int) c)
                            : String.valueOf(c));
                }
                yield out.append('"').toString();
            }
        };
    }

    /** Helm's rule: maps merge key by key, anything else in {@code overrides} replaces the default. */
    @SuppressWarnings("unchecked")
    private static Object mergeValues(Object defaults, Object overrides) {
        if (defaults instanceof Map<?, ?> d && overrides instanceof Map<?, ?> o) {
            Map<Object, Object> merged = new java.util.LinkedHashMap<>((Map<Object, Object>) d);
            o.forEach((key, value) -> merged.put(key, mergeValues(merged.get(key), value)));
            return merged;
        }
        return overrides;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void everyWorkloadRunsLockedDownWithProbesOnTheAdminPort(String scenario) throws IOException {
        Rendered rendered = render(scenario);
        PosternConfig config = checkConfig(rendered, rendered.front().getSpec().getTemplate().getSpec());
        long drainSeconds = config.node().drainTimeout().toSeconds();
        for (PodSpec pod : rendered.podSpecs()) {
            assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
            assertThat(pod.getSecurityContext().getRunAsUser()).isPositive();
            assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
            assertThat(pod.getAutomountServiceAccountToken()).isFalse();
            assertThat(pod.getTerminationGracePeriodSeconds()).as("grace period vs drainTimeout %ss", drainSeconds)
                    .isGreaterThan(drainSeconds);
            Container container = pod.getContainers().getFirst();
            SecurityContext security = container.getSecurityContext();
            assertThat(security.getReadOnlyRootFilesystem()).isTrue();
            assertThat(security.getAllowPrivilegeEscalation()).isFalse();
            assertThat(security.getPrivileged()).isFalse();
            assertThat(security.getCapabilities().getDrop()).containsExactly("ALL");
            assertThat(security.getCapabilities().getAdd()).isNullOrEmpty();
            assertThat(security.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
            assertThat(container.getResources().getRequests()).containsKeys("cpu", "memory");
            assertThat(container.getResources().getLimits()).containsKey("memory");
            assertThat(container.getArgs()).startsWith("serve", "--config", "/etc/postern/postern.yaml");

            assertThat(portNumber(container, "admin")).isEqualTo(config.admin().port());
            assertHttpProbe(container.getLivenessProbe(), "/healthz");
            assertHttpProbe(container.getReadinessProbe(), "/readyz");
            for (ContainerPort port : container.getPorts()) {
                assertThat(port.getContainerPort()).as("unprivileged port %s", port.getName()).isGreaterThanOrEqualTo(1024);
            }
            Set<String> mounts = container.getVolumeMounts().stream().map(VolumeMount::getMountPath).collect(Collectors.toSet());
            assertThat(mounts).contains("/etc/postern/postern.yaml", "/var/lib/postern/queue", "/var/lib/postern/spool", "/tmp");
            assertThat(volume(pod, "spool").getPersistentVolumeClaim().getClaimName()).isEqualTo(rendered.spoolClaim());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void podsStartProbeDrainAndSizeTheJvmFromTheirRequests(String scenario) throws IOException {
        Rendered rendered = render(scenario);
        PosternConfig config = checkConfig(rendered, rendered.front().getSpec().getTemplate().getSpec());
        long drainSeconds = config.node().drainTimeout().toSeconds();
        for (PodSpec pod : rendered.podSpecs()) {
            Container container = pod.getContainers().getFirst();
            assertHttpProbe(container.getStartupProbe(), "/healthz");
            assertThat(container.getStartupProbe().getPeriodSeconds() * container.getStartupProbe().getFailureThreshold())
                    .as("the longest start allowed, in seconds").isGreaterThanOrEqualTo(60);
            List<String> preStop = container.getLifecycle().getPreStop().getExec().getCommand();
            long pause;
            long queueDrain = 0;
            if (preStop.getFirst().equals("sleep")) {
                assertThat(preStop).hasSize(2);
                pause = Long.parseLong(preStop.get(1));
            } else {
                // The front drains its queue after the pause (postern queue drain against the pod's queue API).
                assertThat(pod).isSameAs(rendered.front().getSpec().getTemplate().getSpec());
                assertThat(preStop).hasSize(3).startsWith("/bin/sh", "-c");
                Matcher drain = PRESTOP_DRAIN.matcher(preStop.get(2));
                assertThat(drain.matches()).as(preStop.get(2)).isTrue();
                pause = Long.parseLong(drain.group(1));
                queueDrain = Long.parseLong(drain.group(2));
                assertThat(queueDrain).isPositive();
            }
            assertThat(pause).isPositive();
            assertThat(pod.getTerminationGracePeriodSeconds())
                    .as("grace vs preStop %ss + queue drain %ss + drain %ss", pause, queueDrain, drainSeconds)
                    .isGreaterThan(pause + queueDrain + drainSeconds);
            Map<String, io.fabric8.kubernetes.api.model.EnvVar> env = container.getEnv().stream()
                    .collect(Collectors.toMap(io.fabric8.kubernetes.api.model.EnvVar::getName, e -> e));
            assertThat(env).containsKeys("POSTERN_JAVA_OPTIONS", "POSTERN_MAX_DIRECT_MEMORY").doesNotContainKey("JAVA_TOOL_OPTIONS");
            var cpu = env.get("POSTERN_CPU_REQUEST").getValueFrom().getResourceFieldRef();
            assertThat(cpu.getResource()).isEqualTo("requests.cpu");
            assertThat(cpu.getContainerName()).isEqualTo(container.getName());
            assertThat(cpu.getDivisor().toString()).isEqualTo("1");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void monitoringReachesMetricsAndHealthButNeverTheQueueApi(String scenario) throws IOException {
        Rendered rendered = render(scenario);
        PosternConfig config = checkConfig(rendered, rendered.front().getSpec().getTemplate().getSpec());
        assertThat(config.admin().queueApi().address()).as("the queue API stays inside the pod").isEqualTo("127.0.0.1");
        int queueApi = config.admin().queueApi().port();
        for (PodSpec pod : rendered.podSpecs()) {
            assertThat(pod.getContainers().getFirst().getPorts()).extracting(ContainerPort::getContainerPort)
                    .doesNotContain(queueApi);
        }
        for (NetworkPolicy policy : rendered.all(NetworkPolicy.class)) {
            var rules = policy.getSpec().getIngress();
            assertThat(rules).flatExtracting(r -> r.getPorts()).extracting(p -> p.getPort().getIntVal())
                    .doesNotContain(queueApi);
            var adminRules = rules.stream().filter(r -> r.getPorts().stream()
                    .anyMatch(p -> p.getPort().getIntVal() == config.admin().port())).toList();
            assertThat(adminRules).as("one rule admits the admin port, and only it").hasSize(1);
            assertThat(adminRules.getFirst().getPorts()).hasSize(1);
            assertThat(adminRules.getFirst().getFrom()).as("the admin port is not open to everyone").isNotEmpty()
                    .allSatisfy(peer -> assertThat(peer.getNamespaceSelector()).isNotNull());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void servicesMapStandardPortsOntoTheListenersPosternBinds(String scenario) throws IOException {
        Rendered rendered = render(scenario);
        PodSpec frontPod = rendered.front().getSpec().getTemplate().getSpec();
        Container front = frontPod.getContainers().getFirst();
        PosternConfig config = checkConfig(rendered, frontPod);

        // Every listener binds all addresses in the pod, on a port the container declares under its name.
        for (ListenerConfig listener : config.listeners()) {
            assertThat(listener.address()).isEqualTo("0.0.0.0");
            assertThat(portNumber(front, listener.name())).as("container port of %s", listener.name()).isEqualTo(listener.port());
        }
        assertThat(config.admin().address()).as("probes reach the admin endpoint on the pod address").isEqualTo("0.0.0.0");
        assertThat(config.admin().allowedHosts()).as("curl and Prometheus may name the metrics Service")
                .contains("localhost", FULLNAME + "-metrics");
        assertThat(config.admin().queueApi().address()).as("the queue API is not reachable from outside the pod")
                .isEqualTo("127.0.0.1");

        Service publicService = rendered.one(Service.class, FULLNAME);
        assertThat(publicService.getSpec().getSelector()).containsEntry("app.kubernetes.io/component", "front");
        List<ServicePort> ports = publicService.getSpec().getPorts();
        assertThat(ports).isNotEmpty();
        for (ServicePort port : ports) {
            assertThat(port.getPort()).isEqualTo(STANDARD_PORTS.get(port.getName()));
            assertThat(port.getTargetPort().getStrVal()).isEqualTo(port.getName());
            assertThat(config.listeners()).anyMatch(l -> l.name().equals(port.getName()));
        }
        for (ListenerConfig listener : config.listeners()) {
            if (listener.tls() == TlsMode.IMPLICIT) {
                assertThat(config.tls().configured()).isTrue();
            }
        }

        Service lmtp = rendered.one(Service.class, FULLNAME + "-lmtp");
        String lmtpTier = rendered.delivery().isPresent() ? "delivery" : "front";
        assertThat(lmtp.getSpec().getType()).isEqualTo("ClusterIP");
        assertThat(lmtp.getSpec().getSelector()).containsEntry("app.kubernetes.io/component", lmtpTier);
        assertThat(lmtp.getSpec().getPorts()).singleElement().satisfies(p -> {
            assertThat(p.getPort()).isEqualTo(24);
            assertThat(p.getTargetPort().getStrVal()).isEqualTo("lmtp");
        });
        rendered.delivery().ifPresent(delivery -> {
            Container container = delivery.getSpec().getTemplate().getSpec().getContainers().getFirst();
            assertThat(container.getArgs()).endsWith("--role", "delivery");
            assertThat(container.getPorts()).extracting(ContainerPort::getName).containsExactlyInAnyOrder("lmtp", "admin");
            assertThat(portNumber(container, "lmtp")).isEqualTo(config.listeners().stream()
                    .filter(l -> l.name().equals("lmtp")).findFirst().orElseThrow().port());
        });
        assertThat(front.getArgs()).endsWith("--role", rendered.delivery().isPresent() ? "front" : "all");
        assertThat(config.node().role()).isEqualTo(rendered.delivery().isPresent() ? Role.FRONT : Role.ALL);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void frontKeepsOneQueueVolumePerPodAndSharesOneSpoolClaim(String scenario) throws IOException {
        Rendered rendered = render(scenario);
        StatefulSet front = rendered.front();
        assertThat(front.getSpec().getVolumeClaimTemplates()).singleElement().satisfies(claim -> {
            assertThat(claim.getMetadata().getName()).isEqualTo("queue");
            assertThat(claim.getSpec().getResources().getRequests()).containsKey("storage");
        });
        assertThat(front.getSpec().getPersistentVolumeClaimRetentionPolicy().getWhenScaled()).isEqualTo("Retain");
        assertThat(front.getSpec().getServiceName()).isEqualTo(FULLNAME + "-front-headless");
        assertThat(rendered.one(Service.class, FULLNAME + "-front-headless").getSpec().getClusterIP()).isEqualTo("None");
        rendered.delivery().ifPresent(d -> assertThat(volume(d.getSpec().getTemplate().getSpec(), "queue").getEmptyDir()).isNotNull());

        List<PersistentVolumeClaim> claims = rendered.all(PersistentVolumeClaim.class);
        if (rendered.spoolClaim().equals(FULLNAME + "-spool")) {
            PersistentVolumeClaim spool = rendered.one(PersistentVolumeClaim.class, FULLNAME + "-spool");
            if (rendered.podSpecs().size() > 1 || front.getSpec().getReplicas() == null || front.getSpec().getReplicas() > 1) {
                assertThat(spool.getSpec().getAccessModes()).contains("ReadWriteMany");
            }
        } else {
            assertThat(claims).as("existingClaim: the chart makes no spool claim").isEmpty();
        }
        assertThat(rendered.all(PodDisruptionBudget.class)).allSatisfy(pdb ->
                assertThat(pdb.getSpec().getSelector().getMatchLabels()).containsKey("app.kubernetes.io/component"));
    }

    @Test
    void defaultsAreClosed() throws IOException {
        Rendered rendered = render("default");
        PosternConfig config = checkConfig(rendered, rendered.front().getSpec().getTemplate().getSpec());
        assertThat(config.relay().trustedNetworks()).as("no relay without AUTH").isEmpty();
        assertThat(config.auth().allowPlaintext()).isFalse();
        assertThat(config.auth().allowPlaintextOnLoopback()).isFalse();
        assertThat(rendered.all(NetworkPolicy.class)).hasSize(2);
        NetworkPolicy deliveryPolicy = rendered.one(NetworkPolicy.class, FULLNAME + "-delivery");
        assertThat(deliveryPolicy.getSpec().getIngress().getFirst().getFrom().getFirst().getPodSelector().getMatchLabels())
                .containsEntry("app.kubernetes.io/component", "front");
        assertThat(rendered.all(HorizontalPodAutoscaler.class)).isEmpty();
        assertThat(rendered.generic("ServiceMonitor")).isEmpty();
        assertThat(rendered.all(PodDisruptionBudget.class)).hasSize(2);
        assertThat(rendered.one(Service.class, FULLNAME).getSpec().getExternalTrafficPolicy())
                .as("client addresses reach Postern (relay networks, per-client limits)").isEqualTo("Local");
    }

    @Test
    void activeDirectoryScenarioUsesCertManagerAndAutoscaling() throws IOException {
        Rendered rendered = render("active-directory-values.yaml");
        GenericKubernetesResource certificate = rendered.generic("Certificate").getFirst();
        @SuppressWarnings("unchecked")
        Map<String, Object> spec = (Map<String, Object>) certificate.getAdditionalProperties().get("spec");
        String tlsSecret = volume(rendered.front().getSpec().getTemplate().getSpec(), "tls").getSecret().getSecretName();
        assertThat(spec).containsEntry("secretName", tlsSecret);
        assertThat(spec.get("dnsNames")).isEqualTo(List.of("mail.corp.example.com", "smtp.corp.example.com"));
        VolumeMount tlsMount = mount(rendered.front().getSpec().getTemplate().getSpec(), "tls");
        assertThat(tlsMount.getSubPath()).as("renewed certificates reach the pod only without subPath").isNull();

        assertThat(rendered.front().getSpec().getReplicas()).as("the HPA owns replicas").isNull();
        List<HorizontalPodAutoscaler> hpas = rendered.all(HorizontalPodAutoscaler.class);
        assertThat(hpas).extracting(h -> h.getSpec().getScaleTargetRef().getKind())
                .containsExactlyInAnyOrder("StatefulSet", "Deployment");
        assertThat(rendered.generic("ServiceMonitor")).singleElement()
                .satisfies(m -> assertThat(m.getMetadata().getLabels()).containsEntry("release", "kube-prometheus-stack"));

        PosternConfig config = checkConfig(rendered, rendered.front().getSpec().getTemplate().getSpec());
        assertThat(config.directory().domain()).contains("corp.example.com");
        assertThat(config.directory().urls()).isEmpty();
        assertThat(config.directory().bindPassword()).isEqualTo("ad-service-account-secret");
        assertThat(config.directory().caFile()).isPresent().get().satisfies(ca -> assertThat(ca).isRegularFile());
        assertThat(config.smtp().maxMessageSize()).isEqualTo(35L * 1024 * 1024);
        assertThat(config.relay().permission().group()).contains("CN=Mail Relay Users,OU=Groups,DC=corp,DC=example,DC=com");
        assertThat(config.relay().limits().messagesPerHour()).isEqualTo(600);
        assertThat(config.relay().limits().frontNodes()).as("one share per front pod, the most the HPA may run")
                .isEqualTo(6);
        assertThat(config.node().drainTimeout()).isEqualTo(Duration.ofMinutes(2));
        assertThat(rendered.front().getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds())
                .as("preStop 5 s + queue drain 60 s + drain 120 s + 15 s").isEqualTo(200L);
    }

    @Test
    void handoverScenarioDrainsInPreStopAndDeliversTheQueuesOfRemovedPods() throws IOException {
        Rendered rendered = render("handover-values.yaml");
        assertThat(rendered.all(HorizontalPodAutoscaler.class)).extracting(h -> h.getSpec().getScaleTargetRef().getKind())
                .contains("StatefulSet");
        PodSpec front = rendered.front().getSpec().getTemplate().getSpec();
        String preStop = front.getContainers().getFirst().getLifecycle().getPreStop().getExec().getCommand().get(2);
        assertThat(preStop).endsWith("queue drain --config /etc/postern/postern.yaml --timeout 90s");
        assertThat(front.getTerminationGracePeriodSeconds()).as("preStop 5 s + queue drain 90 s + drain 30 s + 15 s")
                .isEqualTo(140L);

        // helm-java's template leaves hooks out: the Jobs are rendered from a copy without the hook annotation.
        Path copy = temp.resolve("chart-handover");
        copyTree(CHART, copy);
        Path jobTemplate = copy.resolve("templates/front-handover-job.yaml");
        String original = Files.readString(jobTemplate);
        assertThat(original).contains("helm.sh/hook: post-install,post-upgrade");
        Files.writeString(jobTemplate, original.replace("helm.sh/hook:", "postern.io/was-hook:"));
        Rendered withJobs = Rendered.parse(new Helm(copy).template().withName(RELEASE).withNamespace(NAMESPACE)
                .withValuesFile(ci("handover-values.yaml")).call());
        List<Job> jobs = withJobs.all(Job.class);
        assertThat(jobs).extracting(j -> j.getMetadata().getName())
                .containsExactlyInAnyOrder(FULLNAME + "-handover-3", FULLNAME + "-handover-4");
        for (Job job : jobs) {
            String ordinal = job.getMetadata().getName().substring((FULLNAME + "-handover-").length());
            assertThat(job.getMetadata().getAnnotations()).containsEntry("postern.io/was-hook", "post-install,post-upgrade")
                    .containsEntry("helm.sh/hook-delete-policy", "before-hook-creation,hook-succeeded");
            PodSpec pod = job.getSpec().getTemplate().getSpec();
            assertThat(pod.getRestartPolicy()).isEqualTo("OnFailure");
            assertThat(job.getSpec().getTemplate().getMetadata().getLabels())
                    .as("never selected by the front Services").containsEntry("app.kubernetes.io/component", "handover");
            Container container = pod.getContainers().getFirst();
            assertThat(container.getArgs()).containsExactly("queue", "drain", "--queue-dir", "/var/lib/postern/handover",
                    "--config", "/etc/postern/postern.yaml", "--role", "front", "--timeout", "600s", "--interval", "5s");
            assertThat(container.getPorts()).isNullOrEmpty();
            assertThat(container.getReadinessProbe()).isNull();
            assertThat(container.getLifecycle()).isNull();
            assertThat(volume(pod, "handover").getPersistentVolumeClaim().getClaimName())
                    .as("the claim the StatefulSet kept for that ordinal").isEqualTo("queue-" + FULLNAME + "-front-" + ordinal);
            assertThat(mount(pod, "handover").getMountPath()).isEqualTo("/var/lib/postern/handover");
            assertThat(volume(pod, "queue").getEmptyDir()).isNotNull();
            assertThat(volume(pod, "spool").getPersistentVolumeClaim().getClaimName()).isEqualTo(rendered.spoolClaim());
            assertThat(checkConfig(withJobs, pod).node().role()).isEqualTo(Role.FRONT);
        }
        NetworkPolicy delivery = rendered.one(NetworkPolicy.class, FULLNAME + "-delivery");
        assertThat(delivery.getSpec().getIngress().getFirst().getFrom()).anySatisfy(peer -> assertThat(
                peer.getPodSelector().getMatchLabels()).containsEntry("app.kubernetes.io/component", "handover"));
        assertThat(Rendered.parse(new Helm(copy).template().withName(RELEASE).withNamespace(NAMESPACE).call())
                .all(Job.class)).as("off by default").isEmpty();
    }

    @Test
    void theFrontAutoscalerNeedsScaleDownHandOver() throws IOException {
        Path autoscaled = Files.writeString(temp.resolve("autoscaled.yaml"), """
                front:
                  autoscaling: {enabled: true}
                  drainOnStop: {enabled: false}
                  replicas: 2
                  terminationGracePeriodSeconds: 60
                handover:
                  enabled: false
                config:
                  admin:
                    queueApi: {enabled: false}
                """);
        assertThatThrownBy(() -> template().withValuesFile(ci("openldap-values.yaml")).withValuesFile(autoscaled).call())
                .hasMessageContaining("front.autoscaling.enabled: a scale-down would strand the removed pod's queue:"
                        + " set front.drainOnStop.enabled and handover.enabled");
        Path runningOrdinal = Files.writeString(temp.resolve("running.yaml"), """
                front:
                  replicas: 2
                  terminationGracePeriodSeconds: 60
                handover:
                  enabled: true
                  ordinals: [1, 2]
                config:
                  admin:
                    queueApi: {enabled: false}
                """);
        assertThatThrownBy(() -> template().withValuesFile(ci("openldap-values.yaml")).withValuesFile(runningOrdinal).call())
                .hasMessageContaining("handover.ordinals: 1 is a running front pod (front.replicas is 2)")
                .hasMessageNotContaining("handover.ordinals: 2 ")
                .hasMessageContaining("front.drainOnStop.enabled: the preStop drain asks the pod's queue API")
                .hasMessageContaining("front.terminationGracePeriodSeconds: 60 must be longer than"
                        + " front.preStopSleepSeconds (5 s) plus front.drainOnStop.timeoutSeconds (60 s) plus"
                        + " config.node.drainTimeout (30 s)");
    }

    private static Path ci(String scenario) {
        return CHART.resolve("ci").resolve(scenario);
    }

    @Test
    void existingSecretScenarioCreatesNoSecretAndMountsTheNamedOnes() throws IOException {
        Rendered rendered = render("existing-secret-values.yaml");
        assertThat(rendered.all(Secret.class)).isEmpty();
        PodSpec pod = rendered.front().getSpec().getTemplate().getSpec();
        assertThat(volume(pod, "tls").getSecret().getSecretName()).isEqualTo("mail-example-org-tls");
        assertThat(volume(pod, "tls").getSecret().getItems()).extracting(KeyToPath::getKey).containsExactly("tls.crt", "tls.key");
        assertThat(volume(pod, "directory-secret").getSecret().getSecretName()).isEqualTo("postern-ldap");
        assertThat(rendered.spoolClaim()).isEqualTo("mail-spools-nfs");
        assertThat(pod.getTerminationGracePeriodSeconds()).isEqualTo(90L);
        PosternConfig config = checkConfig(rendered, pod);
        assertThat(config.directory().bindPassword()).isEqualTo("dummy-password");
        assertThat(config.tls().certificateFile()).isPresent().get().satisfies(f -> assertThat(f).isRegularFile());
    }

    @ParameterizedTest
    @MethodSource("scenarios")
    void lmtpTakersGetAWritableVolumeForLargeMessagesAndTheFrontHandsOffToTheDeliveryService(String scenario)
            throws IOException {
        Rendered rendered = render(scenario);
        List<PodSpec> pods = new ArrayList<>();
        pods.add(rendered.front().getSpec().getTemplate().getSpec());
        rendered.delivery().ifPresent(d -> pods.add(d.getSpec().getTemplate().getSpec()));
        for (PodSpec pod : pods) {
            PosternConfig config = checkConfig(rendered, pod);
            Container postern = pod.getContainers().getFirst();
            assertThat(postern.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
            Path temp = config.delivery().tempDirectory();
            assertThat(postern.getVolumeMounts()).as("a volume mounted at delivery.tempDirectory")
                    .anySatisfy(m -> {
                        // checkConfig moves /var/lib/postern into a folder of its own: compare the tail.
                        assertThat(temp.toString()).endsWith(m.getMountPath());
                        assertThat(m.getReadOnly()).isNotEqualTo(Boolean.TRUE);
                        assertThat(volume(pod, m.getName()).getEmptyDir()).isNotNull();
                    });
            assertThat(postern.getEnv()).extracting(e -> e.getName()).doesNotContain("POSTERN_DELIVERY_LMTP");
        }
        PosternConfig front = checkConfig(rendered, pods.getFirst());
        if (rendered.delivery().isPresent()) {
            assertThat(front.node().role()).isEqualTo(Role.FRONT);
            assertThat(front.outbound().lmtpTargets()).as("front -> delivery by default")
                    .containsExactly(new HostPort(FULLNAME + "-lmtp." + NAMESPACE + ".svc", 24));
        } else {
            assertThat(front.node().role()).isEqualTo(Role.ALL);
            assertThat(front.outbound().lmtpTargets()).as("role all stays the single-node mode").isEmpty();
        }
    }

    @Test
    void deliveryOffRunsOneTierThatDeliversItself() throws IOException {
        Rendered rendered = render("delivery-off-values.yaml");
        assertThat(rendered.delivery()).isEmpty();
        assertThat(rendered.all(NetworkPolicy.class)).isEmpty();
        assertThat(rendered.all(PodDisruptionBudget.class)).isEmpty();
        PosternConfig config = checkConfig(rendered, rendered.front().getSpec().getTemplate().getSpec());
        assertThat(config.node().role()).isEqualTo(Role.ALL);
        assertThat(config.outbound().lmtpTargets()).as("role all delivers in process").isEmpty();
        assertThat(config.tls().configured()).isFalse();
        assertThat(config.listeners()).extracting(ListenerConfig::name).containsExactly("smtp", "submission", "pop3", "lmtp");
        assertThat(config.listeners()).allSatisfy(l -> assertThat(l.tls()).isEqualTo(TlsMode.NONE));
        assertThat(rendered.one(Service.class, FULLNAME).getSpec().getPorts()).extracting(ServicePort::getPort)
                .containsExactly(25, 587, 110);
    }

    @Test
    void openldapScenarioStoresTheInlineCertificateInATlsSecret() throws IOException {
        Rendered rendered = render("openldap-values.yaml");
        Secret tls = rendered.one(Secret.class, FULLNAME + "-tls");
        assertThat(tls.getType()).isEqualTo("kubernetes.io/tls");
        assertThat(tls.getData()).containsKeys("tls.crt", "tls.key");
        Service service = rendered.one(Service.class, FULLNAME);
        assertThat(service.getSpec().getType()).isEqualTo("NodePort");
        assertThat(service.getSpec().getPorts()).filteredOn(p -> p.getName().equals("smtp"))
                .singleElement().satisfies(p -> assertThat(p.getNodePort()).isEqualTo(30025));
        PosternConfig config = checkConfig(rendered, rendered.front().getSpec().getTemplate().getSpec());
        assertThat(config.listeners()).extracting(ListenerConfig::name).doesNotContain("pop3").contains("pop3s");
        assertThat(config.directory().startTls()).isTrue();
        assertThat(config.directory().bindPassword()).isEqualTo("openldap-service-pw");

        String manifests = template().withValuesFile(CHART.resolve("ci/openldap-values.yaml")).call();
        assertThat(manifests).as("the password appears only base64-encoded in its Secret")
                .doesNotContain("openldap-service-pw").doesNotContain(sha256Hex("openldap-service-pw"));
    }

    private static String sha256Hex(String text) {
        try {
            return java.util.HexFormat.of().formatHex(
                    java.security.MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void proxyProtocolScenarioTurnsItOnPerServiceWithEachBalancersNetworks() throws IOException {
        Rendered rendered = render("proxy-protocol-values.yaml");
        PosternConfig config = checkConfig(rendered, rendered.front().getSpec().getTemplate().getSpec());
        java.util.Map<String, ListenerConfig> byName = config.listeners().stream()
                .collect(java.util.stream.Collectors.toMap(ListenerConfig::name, l -> l));
        assertThat(byName.get("smtp").proxyProtocol().enabled()).isTrue();
        assertThat(byName.get("smtp").proxyProtocol().trustedProxies()).extracting(Object::toString)
                .containsExactly("10.0.0.0/20");
        assertThat(byName.get("submission").proxyProtocol().trustedProxies()).extracting(Object::toString)
                .containsExactly("10.0.16.0/24");
        assertThat(byName.get("pop3").proxyProtocol().enabled()).isTrue();
        assertThat(byName.get("lmtp").proxyProtocol().enabled()).as("LMTP is internal: no balancer").isFalse();
        assertThat(config.relay().clusterNetworks()).extracting(Object::toString)
                .containsExactly("10.244.0.0/16", "10.0.0.0/20");
        assertThat(rendered.one(Service.class, FULLNAME).getSpec().getExternalTrafficPolicy()).isEqualTo("Cluster");

        PosternConfig defaults = checkConfig(render("default"), render("default").front().getSpec().getTemplate().getSpec());
        assertThat(defaults.listeners()).allSatisfy(l -> assertThat(l.proxyProtocol().enabled()).isFalse());
    }

    @Test
    void relayHostScenarioSendsThroughTheSmarthostWithThePasswordFromItsSecret() throws IOException {
        Rendered rendered = render("relay-host-values.yaml");
        assertThat(rendered.all(Secret.class)).as("every secret comes from an existing Secret").isEmpty();
        PodSpec pod = rendered.front().getSpec().getTemplate().getSpec();
        assertThat(volume(pod, "relay-host-secret").getSecret().getSecretName()).isEqualTo("relay-host-credentials");
        assertThat(volume(pod, "outbound-ca").getConfigMap().getName()).isEqualTo("relay-ca");
        String yaml = rendered.one(ConfigMap.class, FULLNAME).getData().get("postern.yaml");
        assertThat(yaml).contains("password: ${file:/etc/postern/secrets/relay-host/password}");

        PosternConfig config = checkConfig(rendered, pod);
        var relay = config.outbound().relayHost().orElseThrow();
        assertThat(relay.address()).isEqualTo(new HostPort("smtp.relay.example.com", 587));
        assertThat(relay.username()).contains("postern@example.net");
        assertThat(relay.password()).contains("dummy-password");
        assertThat(relay.tls()).isEqualTo(TlsPolicy.VERIFY);
        assertThat(config.outbound().tls().policy()).isEqualTo(TlsPolicy.VERIFY);
        assertThat(config.outbound().tls().destinations()).containsEntry("legacy.example.org", TlsPolicy.OPPORTUNISTIC);
        assertThat(config.outbound().tls().trustFile()).isPresent().get().satisfies(f -> assertThat(f).isRegularFile());
        assertThat(config.outbound().lmtpTargets()).as("the front hands local mail to the delivery tier's Service")
                .containsExactly(new HostPort(FULLNAME + "-lmtp." + NAMESPACE + ".svc", 24));
        assertThat(config.outbound().connections().maxMessagesPerConnection()).isEqualTo(200);
        assertThat(config.outbound().timeouts().dataDone()).isEqualTo(Duration.ofMinutes(8));

        assertThat(config.smtp().rejectUnauthenticatedLocalSender()).isTrue();
        assertThat(config.smtp().dataTotalTimeout()).isEqualTo(Duration.ofMinutes(45));
        assertThat(config.smtp().minDataRate()).isEqualTo(1024);
        assertThat(config.smtp().maxCommandLine()).isEqualTo(1024);
        assertThat(config.pop3().maxCommandLine()).isEqualTo(512);
        assertThat(config.pop3().authorizationTimeout()).isEqualTo(Duration.ofSeconds(45));
        assertThat(config.auth().throttle().ipv6Prefix()).isEqualTo(56);
        assertThat(config.cache().changeTracking()).isEqualTo(ChangeTracking.POLL);
        assertThat(config.cache().loginTtl()).isEqualTo(Duration.ofMinutes(1));
        assertThat(config.delivery().memoryThreshold()).isEqualTo(512 * 1024);
        assertThat(config.delivery().tempDirectory().toString()).as("on its own writable volume, not the read-only root")
                .endsWith("/var/lib/postern/delivery-tmp");
        assertThat(config.queue().retrySchedule()).hasSize(5);
        assertThat(config.queue().postmaster()).contains("hostmaster@example.net");
        assertThat(PosixFilePermissions.toString(config.spool().access().fileMode())).isEqualTo("rw-rw----");
        assertThat(config.tls().ciphers()).hasSize(4);
        assertThat(config.admin().maxConnections()).isEqualTo(32);
        assertThat(config.admin().queueApi().port()).isEqualTo(9927);
        assertThat(config.admin().queueApi().address()).isEqualTo("127.0.0.1");
    }

    @Test
    void activeDirectoryScenarioSetsEveryDirectoryKey() throws IOException {
        Rendered rendered = render("active-directory-directory-keys-values.yaml");
        PosternConfig config = checkConfig(rendered, rendered.front().getSpec().getTemplate().getSpec());
        var directory = config.directory();
        assertThat(directory.globalCatalog()).isTrue();
        assertThat(directory.dnsServer()).contains("10.1.0.53:53");
        assertThat(directory.pageSize()).isEqualTo(1000);
        assertThat(directory.domainsFromDirectory()).isTrue();
        assertThat(directory.bindPassword()).isEqualTo("dummy-password");
        assertThat(directory.mapping().bases().groups()).isEqualTo("OU=Groups,DC=ad,DC=example,DC=com");
        assertThat(directory.mapping().filters().alias()).isEqualTo("(objectClass=contact)");
        assertThat(directory.mapping().attributes().forwardingAddress()).isEqualTo("targetAddress");
        assertThat(directory.mapping().attributes().quota()).as("an empty attribute switches the feature off").isEmpty();
        assertThat(directory.mapping().attributes().login()).containsExactly("userPrincipalName", "sAMAccountName");
        assertThat(directory.subaddress().separators()).isEqualTo("+-");
        assertThat(directory.groups().maxMembers()).isEqualTo(20000);
        assertThat(config.cache().changeTracking()).isEqualTo(ChangeTracking.DIRSYNC);
    }

    /**
     * Every key of docs/configuration.md is a value under {@code config}, typed in the schema,
     * except the ones the chart sets itself (and the embedded demo directory, which has no place in
     * a cluster): a key added to Postern without a value fails here.
     */
    @Test
    void everyConfigurationKeyIsAValueOrSetByTheChart() throws IOException {
        Set<String> documented = new TreeSet<>();
        String section = null;
        Pattern heading = Pattern.compile("^## (\\w+)\\s*$");
        Pattern row = Pattern.compile("^\\| `([A-Za-z0-9.\\[\\]]+)` \\|");
        for (String line : Files.readAllLines(HOME.resolve("docs/configuration.md"))) {
            Matcher h = heading.matcher(line);
            if (h.matches()) {
                section = h.group(1);
                continue;
            }
            Matcher r = row.matcher(line);
            if (section != null && r.find() && !section.equals("listeners")) {
                String key = r.group(1);
                documented.add(key.startsWith(section + ".") || key.startsWith(section + "[]") ? key : section + "." + key);
            }
        }
        assertThat(documented).contains("outbound.relayHost.password", "directory.filters.user", "smtp.minDataRate");
        Set<String> chartOwned = Set.of("node.role", "admin.enabled", "admin.address", "admin.port", "admin.allowedHosts",
                "admin.queueApi.address", "admin.queueApi.token", "tls.certificateFile", "tls.privateKeyFile",
                "tls.selfSigned", "tls.selfSignedDirectory", "directory.bindPassword", "directory.caFile",
                "queue.directory", "spool.root", "delivery.tempDirectory", "outbound.relayHost.password",
                "outbound.tls.trustFile", "outbound.lmtpTargets");
        @SuppressWarnings("unchecked")
        Map<String, Object> schema = (Map<String, Object>) new Load(LoadSettings.builder().build())
                .loadFromString(Files.readString(CHART.resolve("values.schema.json")));
        Map<String, Object> config = child(child(schema, "config"), null);
        List<String> missing = documented.stream()
                .filter(key -> !chartOwned.contains(key) && !key.startsWith("directory.embedded."))
                .filter(key -> !typedInSchema(config, key)).toList();
        assertThat(missing).as("configuration keys that no value reaches").isEmpty();
        for (String key : chartOwned) {
            assertThat(typedInSchema(config, key)).as("%s is set by the chart, not under config", key).isFalse();
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> child(Map<String, Object> node, String key) {
        Map<String, Object> properties = (Map<String, Object>) node.get("properties");
        return key == null ? properties : (Map<String, Object>) properties.get(key);
    }

    @SuppressWarnings("unchecked")
    private static boolean typedInSchema(Map<String, Object> properties, String dottedKey) {
        Map<String, Object> level = properties;
        String[] parts = dottedKey.split("\\.");
        for (int i = 0; i < parts.length; i++) {
            // "milters[].name": a key of the objects in a list.
            boolean list = parts[i].endsWith("[]");
            String part = list ? parts[i].substring(0, parts[i].length() - 2) : parts[i];
            if (level == null || !(level.get(part) instanceof Map<?, ?> node)) {
                return false;
            }
            if (i == parts.length - 1) {
                return node.containsKey("type") || node.containsKey("oneOf");
            }
            Map<String, Object> next = list ? (Map<String, Object>) node.get("items") : (Map<String, Object>) node;
            level = next == null ? null : (Map<String, Object>) next.get("properties");
        }
        return false;
    }

    /** The README's values table is what scripts/helm-values-table.py makes of the schema. */
    @Test
    void readmeValuesTableMatchesTheSchema() throws Exception {
        assertThat(runTableScript(HOME)).as("scripts/helm-values-table.py --check on the repository").isZero();
        assertThat(Files.readString(CHART.resolve("README.md")))
                .contains("| `config.outbound.relayHost.host` |").contains("| `relayHostCredentials.existingSecret` |");

        // The check can fail: a copy whose schema gained a description the README does not show.
        Path copy = temp.resolve("repo");
        copyTree(HOME.resolve("scripts"), copy.resolve("scripts"));
        copyTree(CHART, copy.resolve("helm/postern"));
        Files.createDirectories(copy.resolve("docs"));
        Files.copy(HOME.resolve("docs/configuration.md"), copy.resolve("docs/configuration.md"));
        assertThat(runTableScript(copy)).as("the unchanged copy").isZero();
        Path schema = copy.resolve("helm/postern/values.schema.json");
        String text = Files.readString(schema);
        Files.writeString(schema, text.replace("Replaces the chart name in resource names", "Something else"));
        assertThat(runTableScript(copy)).as("a README out of step with the schema").isNotZero();
    }

    private static int runTableScript(Path repository) throws Exception {
        Process process = new ProcessBuilder("python3", repository.resolve("scripts/helm-values-table.py").toString(), "--check")
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        System.out.print(output);
        return process.exitValue();
    }

    @Test
    void invalidValuesAreReportedAllAtOnce() throws IOException {
        Path values = Files.writeString(temp.resolve("bad.yaml"), """
                config:
                  domains: []
                  directory:
                    urls: []
                    bindDn: cn=someone
                tls:
                  selfSigned: false
                front:
                  terminationGracePeriodSeconds: 20
                listeners:
                  pop3:
                    containerPort: 2525
                """);
        assertThatThrownBy(() -> template().withValuesFile(values).call())
                .hasMessageContaining("config.domains: name at least one mail domain")
                .hasMessageContaining("config.directory: set urls")
                .hasMessageContaining("directoryCredentials: config.directory.bindDn is set")
                .hasMessageContaining("tls: enabled, but no certificate")
                .hasMessageContaining("front.terminationGracePeriodSeconds: 20 must be longer than config.node.drainTimeout (30 s) plus front.preStopSleepSeconds (5 s)")
                .hasMessageContaining("listeners.pop3.containerPort: 2525 is already used by listeners.smtp");

        Path noListener = Files.writeString(temp.resolve("silent.yaml"), """
                tls:
                  enabled: false
                listeners:
                  smtp: {enabled: false}
                  submission: {enabled: false}
                  pop3: {enabled: false}
                """);
        assertThatThrownBy(() -> template().withValuesFile(noListener).call())
                .hasMessageContaining("listeners: enable at least one of smtp");
    }

    /** Helm reads numbers as floats; a large limit must still reach Postern as an integer, not 1e+07. */
    @Test
    void largeLimitsReachPosternAsIntegers() throws IOException {
        Path values = Files.writeString(temp.resolve("large.yaml"), """
                config:
                  cache:
                    maxSize: 10000000
                  smtp:
                    maxConnections: 1000000
                    maxMessageSize: 2147483648
                  auth:
                    throttle:
                      maxTracked: 10000000
                """);
        Rendered rendered = Rendered.parse(template().withValuesFile(values).call());
        PosternConfig config = checkConfig(rendered, rendered.front().getSpec().getTemplate().getSpec());
        assertThat(config.cache().maxSize()).isEqualTo(10_000_000);
        assertThat(config.smtp().maxConnections()).isEqualTo(1_000_000);
        assertThat(config.smtp().maxMessageSize()).isEqualTo(2_147_483_648L);
        assertThat(config.auth().throttle().maxTracked()).isEqualTo(10_000_000);
    }

    @Test
    void outboundValuesThatContradictEachOtherAreReportedAllAtOnce() throws IOException {
        Path values = Files.writeString(temp.resolve("relay.yaml"), """
                config:
                  outbound:
                    relayHost:
                      username: postern@example.com
                  tls:
                    protocols: [TLSv1.3]
                tls:
                  enabled: false
                relayHostCredentials:
                  existingSecret: relay
                outboundCa:
                  existingConfigMap: ca
                  existingSecret: ca
                """);
        assertThatThrownBy(() -> template().withValuesFile(values).call())
                .hasMessageContaining("relayHostCredentials.existingSecret: set config.outbound.relayHost.host too")
                .hasMessageContaining("outboundCa: existingConfigMap and existingSecret are exclusive")
                .hasMessageContaining("config.tls: protocols and ciphers need tls.enabled");

        Path noSecret = Files.writeString(temp.resolve("no-secret.yaml"), """
                config:
                  outbound:
                    relayHost:
                      host: smtp.relay.example.com
                      username: postern@example.com
                """);
        assertThatThrownBy(() -> template().withValuesFile(noSecret).call())
                .hasMessageContaining("relayHostCredentials.existingSecret: config.outbound.relayHost.username is set");

        Path typo = Files.writeString(temp.resolve("typo-outbound.yaml"), """
                config:
                  outbound:
                    relayHost:
                      password: in-the-values
                  cache:
                    changeTracking: sometimes
                """);
        assertThatThrownBy(() -> template().withValuesFile(typo).call())
                .as("a password is never a value: it comes from a Secret")
                .hasMessageContaining("password")
                .hasMessageContaining("changeTracking");
    }

    @Test
    void theSchemaRejectsKeysPosternWouldRejectBeforeAnythingIsInstalled() throws IOException {
        Path values = Files.writeString(temp.resolve("typo.yaml"), """
                config:
                  smtp:
                    maxMesageSize: 10MiB
                  node:
                    drainTimeout: 30 seconds
                """);
        assertThatThrownBy(() -> template().withValuesFile(values).call())
                .hasMessageContaining("maxMesageSize")
                .hasMessageContaining("config.node.drainTimeout");
    }

    @Test
    void everyValueIsDocumentedWithParam() throws IOException {
        String text = Files.readString(CHART.resolve("values.yaml"));
        Set<String> documented = text.lines().map(String::strip).filter(l -> l.startsWith("## @param "))
                .map(l -> l.substring("## @param ".length()).split(" ", 2)[0]).collect(Collectors.toSet());
        Object values = new Load(LoadSettings.builder().build())
                .loadFromString(text);
        List<String> undocumented = new ArrayList<>();
        collectUndocumented("", values, documented, undocumented);
        assertThat(undocumented).as("values without a ## @param line").isEmpty();
    }

    /** A key is documented by its own @param or by one on a map that holds it (front.resources covers its limits). */
    private static void collectUndocumented(String path, Object node, Set<String> documented, List<String> out) {
        if (!path.isEmpty() && documented.contains(path)) {
            return;
        }
        if (node instanceof Map<?, ?> map && !map.isEmpty()) {
            map.forEach((k, v) -> collectUndocumented(path.isEmpty() ? String.valueOf(k) : path + "." + k, v, documented, out));
        } else {
            out.add(path);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void aClientOnlyDryRunInstallRendersTheNotes(String scenario) {
        var install = new Helm(CHART).install().withName(RELEASE).withNamespace(NAMESPACE).clientOnly().dryRun();
        if (!scenario.equals("default")) {
            install = install.withValuesFile(CHART.resolve("ci").resolve(scenario));
        }
        assertThat(install.call().getOutput()).contains("Public Service " + FULLNAME).contains("Internal LMTP: ");
    }

    @Test
    void installNotesShowThePortMapping() {
        String notes = new Helm(CHART).install().withName(RELEASE).withNamespace(NAMESPACE).clientOnly().dryRun().call()
                .getOutput();
        assertThat(notes).contains("smtp: 25 -> container 2525 (tls starttls)")
                .contains("pop3s: 995 -> container 2995 (tls implicit)")
                .contains("Internal LMTP: mail-postern-lmtp.mail-ns.svc:24")
                .contains("WARNING: TLS uses a self-signed certificate");
    }

    /**
     * helm-java's template leaves hooks out, so the `helm test` pod is rendered from a copy of the
     * chart without its hook annotation; its script then runs here against a loopback SMTP server
     * that greets properly, and one that refuses, with a python3 stand-in for busybox nc.
     */
    @Test
    void helmTestPodSpeaksEhloToTheSmtpService() throws Exception {
        Path copy = temp.resolve("chart");
        copyTree(CHART, copy);
        Path testPod = copy.resolve("templates/tests/test-ehlo.yaml");
        String original = Files.readString(testPod);
        assertThat(original).contains("helm.sh/hook: test");
        Files.writeString(testPod, original.replace("helm.sh/hook: test", "postern.io/was-hook: test"));
        Rendered rendered = Rendered.parse(new Helm(copy).template().withName(RELEASE).withNamespace(NAMESPACE).call());
        Pod pod = rendered.one(Pod.class, FULLNAME + "-test-ehlo");
        Container container = pod.getSpec().getContainers().getFirst();
        Map<String, String> env = container.getEnv().stream()
                .collect(Collectors.toMap(e -> e.getName(), e -> e.getValue()));
        assertThat(env).containsEntry("SMTP_HOST", FULLNAME + "." + NAMESPACE + ".svc").containsEntry("SMTP_PORT", "25");
        assertThat(pod.getSpec().getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(container.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        String script = container.getCommand().getLast();

        Path bin = Files.createDirectories(temp.resolve("bin"));
        Path nc = Files.writeString(bin.resolve("nc"), """
                #!/usr/bin/env python3
                import socket, sys, threading
                host, port = sys.argv[-2], int(sys.argv[-1])
                s = socket.create_connection((host, port), timeout=10)
                def pump():
                    for chunk in iter(lambda: sys.stdin.buffer.read1(4096), b""):
                        s.sendall(chunk)
                threading.Thread(target=pump, daemon=True).start()
                try:
                    for chunk in iter(lambda: s.recv(4096), b""):
                        sys.stdout.buffer.write(chunk); sys.stdout.flush()
                except socket.timeout:
                    pass
                """);
        Files.setPosixFilePermissions(nc, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertThat(runTestScript(script, bin, "220 mx.test ESMTP\r\n", "250-mx.test\r\n250 8BITMIME\r\n"))
                .as("a server that greets and answers EHLO").isZero();
        assertThat(runTestScript(script, bin, "421 4.3.2 mx.test SMTP is not served\r\n", "221 bye\r\n"))
                .as("a server that refuses").isNotZero();
    }

    // ---- rendering and checking ------------------------------------------------------------

    @Test
    void monitoringObjectsAreOffByDefaultAndOfflineAuto() {
        Rendered rendered = render("default");
        assertThat(rendered.generic("PrometheusRule")).as("auto, and helm template knows no monitoring.coreos.com/v1").isEmpty();
        assertThat(rendered.all(ConfigMap.class)).noneMatch(c -> c.getMetadata().getName().endsWith("-dashboard"));
        assertThat(rendered.all(Service.class)).noneMatch(s -> s.getMetadata().getName().equals(FULLNAME + "-mx"));
        @SuppressWarnings("unchecked")
        Map<String, Object> key = (Map<String, Object>) ((Map<String, Object>) render("active-directory-values.yaml")
                .generic("Certificate").getFirst().getAdditionalProperties().get("spec")).get("privateKey");
        assertThat(key).containsEntry("algorithm", "ECDSA").containsEntry("size", 256);
    }

    @Test
    void observabilityScenarioRendersAlertsDashboardAndExtensionPoints() throws IOException {
        Rendered rendered = render("observability-values.yaml");

        List<Map<String, Object>> rules = alertRules(rendered);
        Set<String> documented = Pattern.compile("(?m)^\\s*- alert: (\\w+)").matcher(Files.readString(HOME.resolve("docs/operate.md")))
                .results().map(m -> m.group(1)).collect(Collectors.toSet());
        assertThat(documented).contains("PosternDown", "PosternQueueStuck", "PosternCertificateExpiring");
        assertThat(rules).extracting(r -> (String) r.get("alert")).containsExactlyInAnyOrderElementsOf(documented);
        assertThat(rules).allSatisfy(rule -> {
            assertThat((String) rule.get("expr")).as("scoped to this release").contains("job=\"" + FULLNAME + "-metrics\"")
                    .contains("namespace=\"" + NAMESPACE + "\"");
            @SuppressWarnings("unchecked")
            Map<String, Object> labels = (Map<String, Object>) rule.get("labels");
            assertThat(labels).containsEntry("team", "mail").containsKey("severity");
        });
        assertThat(rules).filteredOn(r -> r.get("alert").equals("PosternCertificateExpiring")).singleElement()
                .satisfies(r -> assertThat((String) r.get("expr")).endsWith("< 10 * 86400"));
        assertThat(rendered.generic("PrometheusRule").getFirst().getMetadata().getLabels())
                .containsEntry("release", "kube-prometheus-stack");

        ConfigMap dashboard = rendered.one(ConfigMap.class, FULLNAME + "-dashboard");
        assertThat(dashboard.getMetadata().getNamespace()).isEqualTo("monitoring");
        assertThat(dashboard.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1");
        assertThat(dashboard.getMetadata().getAnnotations()).containsEntry("grafana_folder", "Mail");
        List<String> queries = dashboardQueries(dashboard);
        assertThat(queries).hasSizeGreaterThan(10).anyMatch(q -> q.contains("postern_tls_certificate_expiry_seconds"))
                .anyMatch(q -> q.contains("postern_directory_lookups_seconds_bucket"))
                .anyMatch(q -> q.contains("postern_queue_oldest_age_seconds"));

        Service clients = rendered.one(Service.class, FULLNAME);
        Service mx = rendered.one(Service.class, FULLNAME + "-mx");
        assertThat(clients.getSpec().getPorts()).extracting(ServicePort::getName).doesNotContain("smtp").contains("submission");
        assertThat(mx.getSpec().getPorts()).singleElement().satisfies(p -> {
            assertThat(p.getName()).isEqualTo("smtp");
            assertThat(p.getPort()).isEqualTo(25);
        });
        assertThat(mx.getSpec().getLoadBalancerIP()).isEqualTo("203.0.113.25");
        assertThat(mx.getSpec().getSelector()).containsEntry("app.kubernetes.io/component", "front");
        assertThat(mx.getMetadata().getAnnotations()).containsKey("external-dns.alpha.kubernetes.io/hostname");
        // helm test speaks EHLO to port 25, which is now on the MX Service (the hook made visible to helm template).
        Path copy = temp.resolve("chart-mx");
        copyTree(CHART, copy);
        Path testPod = copy.resolve("templates/tests/test-ehlo.yaml");
        Files.writeString(testPod, Files.readString(testPod).replace("helm.sh/hook: test", "postern.io/was-hook: test"));
        Pod ehlo = Rendered.parse(new Helm(copy).template().withName(RELEASE).withNamespace(NAMESPACE)
                .withValuesFile(CHART.resolve("ci/observability-values.yaml")).call()).one(Pod.class, FULLNAME + "-test-ehlo");
        assertThat(ehlo.getSpec().getContainers().getFirst().getEnv())
                .anySatisfy(e -> assertThat(e.getValue()).isEqualTo(FULLNAME + "-mx." + NAMESPACE + ".svc"));
        for (Service service : List.of(clients, mx)) {
            assertThat(service.getSpec().getIpFamilyPolicy()).isEqualTo("PreferDualStack");
            assertThat(service.getSpec().getIpFamilies()).containsExactly("IPv4", "IPv6");
            assertThat(service.getSpec().getLoadBalancerClass()).isEqualTo("service.k8s.aws/nlb");
            assertThat(service.getSpec().getExternalTrafficPolicy()).isEqualTo("Local");
        }

        @SuppressWarnings("unchecked")
        Map<String, Object> key = (Map<String, Object>) ((Map<String, Object>) rendered.generic("Certificate").getFirst()
                .getAdditionalProperties().get("spec")).get("privateKey");
        assertThat(key).containsEntry("algorithm", "RSA").containsEntry("size", 3072);

        PodSpec front = rendered.front().getSpec().getTemplate().getSpec();
        assertThat(front.getContainers()).extracting(Container::getName).containsExactly("postern", "log-shipper");
        assertThat(front.getInitContainers()).extracting(Container::getName).containsExactly("wait-for-ldap");
        assertThat(volume(front, "shipper-config").getConfigMap().getName()).isEqualTo("mail-log-shipper");
        assertThat(mount(front, "extra-ca").getMountPath()).isEqualTo("/etc/postern/extra-ca");
        assertThat(rendered.front().getSpec().getTemplate().getMetadata().getLabels()).containsEntry("team", "mail");
        assertThat(rendered.front().getSpec().getTemplate().getMetadata().getAnnotations())
                .containsEntry("fluentbit.io/exclude", "true").containsKey("checksum/config");
        PodSpec delivery = rendered.delivery().orElseThrow().getSpec().getTemplate().getSpec();
        assertThat(volume(delivery, "scratch").getEmptyDir()).isNotNull();
        assertThat(mount(delivery, "scratch").getMountPath()).isEqualTo("/var/tmp/scratch");
        assertThat(delivery.getContainers()).singleElement();
    }

    @Test
    void theSchemaRejectsAKeySizeTheAlgorithmDoesNotHave() throws IOException {
        Path values = Files.writeString(temp.resolve("key.yaml"), """
                tls:
                  certManager:
                    privateKey: { algorithm: ECDSA, size: 2048 }
                """);
        assertThatThrownBy(() -> template().withValuesFile(values).call()).hasMessageContaining("size");
    }

    /**
     * Every metric name in the PrometheusRule's expressions and the dashboard's queries is one that
     * a running node exposes (or {@code up}, which Prometheus adds per target): a renamed meter
     * would otherwise leave an alert that never fires and an empty panel. The node runs from the
     * jar with the embedded directory on free ports and gets one message, one good and one bad
     * POP3 login, so that the lazily registered meters exist too.
     */
    @Test
    void everyMetricTheAlertsAndTheDashboardUseIsOneANodeExposes() throws Exception {
        Rendered rendered = render("observability-values.yaml");
        Set<String> used = new java.util.TreeSet<>();
        for (Map<String, Object> rule : alertRules(rendered)) {
            used.addAll(PromQl.metricNames((String) rule.get("expr")));
        }
        for (String query : dashboardQueries(rendered.one(ConfigMap.class, FULLNAME + "-dashboard"))) {
            used.addAll(PromQl.metricNames(query));
        }
        assertThat(used).contains("postern_tls_certificate_expiry_seconds", "postern_sessions_open",
                "postern_directory_lookups_seconds_bucket", "postern_delivery_local_latency_seconds_bucket", "up");

        Path home = io.postern.it.support.PosternProcess.homeWithLdif(Files.createTempDirectory(temp, "node"));
        int mx = io.postern.it.support.Ports.free();
        int pop3 = io.postern.it.support.Ports.free();
        int admin = io.postern.it.support.Ports.free();
        Path file = Files.writeString(home.resolve("postern.yaml"), """
                node: { hostname: node1.example.test, drainTimeout: 1s }
                listeners:
                  - { name: mx, kind: mx, port: %d }
                  - { name: lmtp, kind: lmtp, port: %d }
                  - { name: pop3, kind: pop3, port: %d }
                admin: { port: %d, queueApi: { port: %d } }
                tls: { selfSigned: true }
                auth: { allowPlaintextOnLoopback: true }
                directory:
                  baseDn: dc=example,dc=test
                  embedded: { ldif: ldif/demo.ldif, port: %d }
                domains: [example.test]
                """.formatted(mx, io.postern.it.support.Ports.free(), pop3, admin, io.postern.it.support.Ports.free(),
                io.postern.it.support.Ports.free()));
        try (io.postern.it.support.ExternalProcess node = io.postern.it.support.PosternProcess.start("metrics", home,
                "serve", "--config", file.toString())) {
            node.awaitLog(Duration.ofSeconds(60), "event=started");
            assertThat(dialog(mx, "EHLO client.test", "MAIL FROM:<sender@elsewhere.test>", "RCPT TO:<alice@example.test>",
                    "DATA", "Subject: metrics\r\n\r\nhello\r\n.", "QUIT")).contains("250 ", "354 ");
            dialog(pop3, "USER alice@example.test", "PASS wrong-password", "QUIT");
            assertThat(dialog(pop3, "USER alice@example.test", "PASS alice-pw", "QUIT")).contains("+OK");

            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            Set<String> exposed = Set.of();
            String scrape = "";
            while (System.nanoTime() < deadline) {
                scrape = scrape(admin);
                exposed = scrape.lines().filter(l -> !l.isBlank() && !l.startsWith("#"))
                        .map(l -> l.split("[{ ]", 2)[0]).collect(Collectors.toSet());
                if (exposed.containsAll(used.stream().filter(n -> !n.equals("up")).toList())) {
                    break;
                }
                Thread.sleep(100);
            }
            Set<String> missing = new java.util.TreeSet<>(used);
            missing.remove("up");
            missing.removeAll(exposed);
            assertThat(missing).as("metric names used by the chart that the node does not expose").isEmpty();

            // Bounded histograms: every timer series has a small fixed bucket set, whatever its range.
            Map<String, Long> bucketsPerSeries = scrape.lines().filter(l -> l.startsWith("postern_") && l.contains("_bucket{"))
                    .collect(Collectors.groupingBy(l -> l.substring(0, l.indexOf(' ')).replaceAll("le=\"[^\"]*\",?", ""),
                            Collectors.counting()));
            assertThat(bucketsPerSeries).isNotEmpty();
            assertThat(bucketsPerSeries.values()).allMatch(n -> n <= 16);
            assertThat(scrape).doesNotContain("quantile=\"0.99\"");
        }
    }

    @Test
    void promQlExtractionFindsMetricNamesOnly() {
        assertThat(PromQl.metricNames("sum by (namespace, pod, reason) (rate(postern_x_total{job=\"a\",reason=~\"b|c\"}[10m]))"
                + " > 5 * sum by (pod) (rate(postern_x_total{a=\"b\"}[1d] offset 1d)) + 0.1 and up{job=\"j\"} == 0"))
                .containsExactly("postern_x_total", "up");
        assertThat(PromQl.metricNames("histogram_quantile(0.99, sum by (le) (rate(a_seconds_bucket{pod=~\"$pod\"}[$__rate_interval])))"
                + " / clamp_min(b_total, 1e-9)")).containsExactly("a_seconds_bucket", "b_total");
        assertThat(PromQl.metricNames("label_values(jvm_memory_used_bytes{namespace=\"$namespace\"}, pod)"))
                .containsExactly("jvm_memory_used_bytes");
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> alertRules(Rendered rendered) {
        GenericKubernetesResource rule = rendered.generic("PrometheusRule").getFirst();
        Map<String, Object> spec = (Map<String, Object>) rule.getAdditionalProperties().get("spec");
        return ((List<Map<String, Object>>) spec.get("groups")).stream()
                .flatMap(g -> ((List<Map<String, Object>>) g.get("rules")).stream()).toList();
    }

    /** Every PromQL query of the dashboard: panel targets and variable queries. */
    @SuppressWarnings("unchecked")
    private static List<String> dashboardQueries(ConfigMap dashboard) {
        Map<String, Object> json = (Map<String, Object>) new Load(LoadSettings.builder().build())
                .loadFromString(dashboard.getData().get("postern.json"));
        List<String> queries = new ArrayList<>();
        for (Map<String, Object> panel : (List<Map<String, Object>>) json.get("panels")) {
            for (Map<String, Object> target : (List<Map<String, Object>>) panel.get("targets")) {
                queries.add((String) target.get("expr"));
            }
        }
        for (Map<String, Object> variable : (List<Map<String, Object>>) ((Map<String, Object>) json.get("templating")).get("list")) {
            if (variable.get("query") instanceof Map<?, ?> query) {
                queries.add((String) query.get("query"));
            }
        }
        return queries;
    }

    /** One SMTP or POP3 conversation: sends each line after reading the previous reply; returns everything read. */
    private static String dialog(int port, String... lines) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(30_000);
            var in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = socket.getOutputStream();
            StringBuilder seen = new StringBuilder();
            readReply(in, seen);
            for (String line : lines) {
                out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                readReply(in, seen);
            }
            return seen.toString();
        }
    }

    /** An SMTP reply ends with "NNN " (not "NNN-"); a POP3 reply is one line. */
    private static void readReply(java.io.BufferedReader in, StringBuilder seen) throws IOException {
        String line;
        do {
            line = in.readLine();
            if (line == null) {
                return;
            }
            seen.append(line).append('\n');
        } while (line.length() > 3 && line.charAt(3) == '-');
    }

    private static String scrape(int port) throws IOException, InterruptedException {
        try (var http = java.net.http.HttpClient.newHttpClient()) {
            return http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        }
    }

    private static TemplateCommand template() {
        return new Helm(CHART).template().withName(RELEASE).withNamespace(NAMESPACE);
    }

    private static Rendered render(String scenario) {
        TemplateCommand command = template();
        if (!scenario.equals("default")) {
            command = command.withValuesFile(CHART.resolve("ci").resolve(scenario));
        }
        return Rendered.parse(command.call());
    }

    /**
     * Lays out the pod's file mounts under a temporary root (chart-made Secrets with their real
     * data, Secrets and ConfigMaps made elsewhere with dummy content), points the rendered
     * postern.yaml at that root, and runs {@code postern check-config} on it: exit 0, or the test
     * fails with Postern's own problem list. Returns the loaded configuration.
     */
    private PosternConfig checkConfig(Rendered rendered, PodSpec pod) throws IOException {
        Path root = Files.createTempDirectory(temp, "pod");
        Container container = pod.getContainers().getFirst();
        for (VolumeMount mount : container.getVolumeMounts()) {
            if (mount.getSubPath() != null) {
                continue;
            }
            Path dir = Files.createDirectories(root.resolve(mount.getMountPath().substring(1)));
            // The front's queue comes from a volumeClaimTemplate, not from the pod's volumes.
            Volume volume = pod.getVolumes().stream().filter(v -> v.getName().equals(mount.getName())).findFirst()
                    .orElseGet(() -> new Volume());
            List<KeyToPath> items = volume.getSecret() != null ? volume.getSecret().getItems()
                    : volume.getConfigMap() != null ? volume.getConfigMap().getItems() : List.of();
            for (KeyToPath item : items == null ? List.<KeyToPath>of() : items) {
                String secretName = volume.getSecret() == null ? null : volume.getSecret().getSecretName();
                String content = rendered.secretValue(secretName, item.getKey()).orElse(
                        item.getKey().equals("tls.key") ? "dummy-key" : item.getKey().contains("crt") || item.getKey().contains("pem")
                                ? "dummy-certificate" : "dummy-password");
                Files.writeString(dir.resolve(item.getPath()), content + "\n");
            }
        }
        String yaml = rendered.one(ConfigMap.class, FULLNAME).getData().get("postern.yaml");
        String relocated = yaml.replace("/etc/postern/", root + "/etc/postern/").replace("/var/lib/postern/", root + "/var/lib/postern/");
        Path file = Files.writeString(root.resolve("postern.yaml"), relocated);
        assertThat(Main.run("check-config", file.toString())).as("postern check-config on\n%s", yaml).isZero();
        return ConfigLoader.withSystemEnvironment().load(file);
    }

    private static int runTestScript(String script, Path bin, String greeting, String ehloReply) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread smtp = Thread.ofVirtual().start(() -> {
                try (Socket client = server.accept()) {
                    client.setSoTimeout(10_000);
                    OutputStream out = client.getOutputStream();
                    InputStream in = client.getInputStream();
                    out.write(greeting.getBytes(StandardCharsets.US_ASCII));
                    byte[] buffer = new byte[512];
                    while (in.read(buffer) > 0) {
                        String line = new String(buffer, StandardCharsets.US_ASCII);
                        out.write((line.startsWith("EHLO") ? ehloReply : "221 bye\r\n").getBytes(StandardCharsets.US_ASCII));
                        if (!line.startsWith("EHLO")) {
                            break;
                        }
                    }
                } catch (IOException e) {
                    // the client went away: the script's exit code tells the rest
                }
            });
            ProcessBuilder builder = new ProcessBuilder("sh", "-c", script).redirectErrorStream(true);
            builder.environment().put("PATH", bin + ":" + System.getenv("PATH"));
            builder.environment().put("SMTP_HOST", "127.0.0.1");
            builder.environment().put("SMTP_PORT", Integer.toString(server.getLocalPort()));
            Process process = builder.start();
            process.getOutputStream().close();
            process.getInputStream().transferTo(OutputStream.nullOutputStream());
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("test script finished").isTrue();
            smtp.join(Duration.ofSeconds(5));
            return process.exitValue();
        }
    }

    private static void assertHttpProbe(Probe probe, String path) {
        assertThat(probe).as("probe on %s", path).isNotNull();
        assertThat(probe.getHttpGet().getPath()).isEqualTo(path);
        assertThat(probe.getHttpGet().getPort().getStrVal()).isEqualTo("admin");
        assertThat(probe.getTimeoutSeconds()).isPositive();
    }

    private static int portNumber(Container container, String name) {
        return container.getPorts().stream().filter(p -> name.equals(p.getName())).findFirst()
                .orElseThrow(() -> new AssertionError("no container port named " + name)).getContainerPort();
    }

    private static Volume volume(PodSpec pod, String name) {
        return pod.getVolumes().stream().filter(v -> v.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no volume named " + name));
    }

    private static VolumeMount mount(PodSpec pod, String name) {
        return pod.getContainers().getFirst().getVolumeMounts().stream().filter(m -> m.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no volume mount named " + name));
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path source : paths.sorted(Comparator.naturalOrder()).toList()) {
                Path target = to.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target);
                }
            }
        }
    }

    /** The objects of one `helm template` output. */
    record Rendered(List<HasMetadata> objects) {
        static Rendered parse(String manifests) {
            List<HasMetadata> objects = new ArrayList<>();
            for (String document : manifests.split("(?m)^---\\s*$")) {
                if (document.lines().anyMatch(l -> l.startsWith("kind:"))) {
                    objects.add(K8S.unmarshal(document, HasMetadata.class));
                }
            }
            assertThat(objects).as("rendered objects").isNotEmpty();
            return new Rendered(List.copyOf(objects));
        }

        <T extends HasMetadata> List<T> all(Class<T> type) {
            return objects.stream().filter(type::isInstance).map(type::cast).toList();
        }

        <T extends HasMetadata> T one(Class<T> type, String name) {
            return all(type).stream().filter(o -> o.getMetadata().getName().equals(name)).findFirst()
                    .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " named " + name));
        }

        List<GenericKubernetesResource> generic(String kind) {
            return all(GenericKubernetesResource.class).stream().filter(r -> r.getKind().equals(kind)).toList();
        }

        StatefulSet front() {
            return one(StatefulSet.class, FULLNAME + "-front");
        }

        Optional<Deployment> delivery() {
            return all(Deployment.class).stream().filter(d -> d.getMetadata().getName().equals(FULLNAME + "-delivery")).findFirst();
        }

        List<PodSpec> podSpecs() {
            List<PodSpec> specs = new ArrayList<>();
            specs.add(front().getSpec().getTemplate().getSpec());
            delivery().ifPresent(d -> specs.add(d.getSpec().getTemplate().getSpec()));
            return specs;
        }

        String spoolClaim() {
            return volume(front().getSpec().getTemplate().getSpec(), "spool").getPersistentVolumeClaim().getClaimName();
        }

        /** The decoded value of a Secret this release creates, if it does. */
        Optional<String> secretValue(String secretName, String key) {
            return all(Secret.class).stream().filter(s -> s.getMetadata().getName().equals(secretName)).findFirst()
                    .map(s -> s.getData().get(key))
                    .map(b64 -> new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8).stripTrailing());
        }
    }
}
