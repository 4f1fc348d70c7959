{{/*
The pod template of both tiers: include with (dict "root" $ "component" "front"|"delivery").
The front binds every listener; delivery binds LMTP only (PosternServer.servesInRole).
With "handover" N (a front ordinal) it is the hand-over Job's pod instead: the front's
configuration, no listeners or probes, delivering the volume queue-<fullname>-front-N until empty.
*/}}
{{- define "postern.podTemplate" -}}
{{- $root := .root -}}
{{- $component := .component -}}
{{- $tier := index $root.Values $component -}}
{{- $role := ternary (include "postern.frontRole" $root) "delivery" (eq $component "front") -}}
{{- $tlsSecret := include "postern.tlsSecretName" $root -}}
{{- $dirSecret := include "postern.directorySecretName" $root -}}
{{- $ca := $root.Values.directoryCa -}}
{{- $relaySecret := $root.Values.relayHostCredentials.existingSecret -}}
{{- $outCa := $root.Values.outboundCa -}}
{{- $handover := hasKey . "handover" -}}
metadata:
  labels:
    {{- include "postern.labels" $root | nindent 4 }}
    {{- /* Not "front": the front Services must never send clients to a hand-over pod. */}}
    app.kubernetes.io/component: {{ ternary "handover" $component $handover }}
    {{- with $tier.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    # A changed configuration or inline certificate rolls the pods. The bind password is left
    # out on purpose: an unsalted hash of it in a pod annotation could be brute-forced.
    checksum/config: {{ include "postern.config" $root | sha256sum }}
    checksum/certificate: {{ $root.Values.tls.certificate | sha256sum }}
    {{- with $tier.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  {{- if $handover }}
  restartPolicy: OnFailure
  {{- end }}
  serviceAccountName: {{ include "postern.serviceAccountName" $root }}
  automountServiceAccountToken: {{ $root.Values.serviceAccount.automountServiceAccountToken }}
  enableServiceLinks: false
  {{- with $root.Values.imagePullSecrets }}
  imagePullSecrets:
    {{- range . }}
    - name: {{ . }}
    {{- end }}
  {{- end }}
  securityContext:
    {{- toYaml $root.Values.podSecurityContext | nindent 4 }}
  # Longer than node.drainTimeout: SIGTERM starts the drain, SIGKILL must not cut it short.
  terminationGracePeriodSeconds: {{ include "postern.gracePeriod" . }}
  {{- with $tier.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  {{- with $tier.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $tier.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  affinity:
    {{- if $tier.affinity }}
    {{- toYaml $tier.affinity | nindent 4 }}
    {{- else }}
    podAntiAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
        - weight: 100
          podAffinityTerm:
            topologyKey: kubernetes.io/hostname
            labelSelector:
              matchLabels:
                {{- include "postern.componentSelectorLabels" . | nindent 16 }}
    {{- end }}
  {{- with $tier.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $tier.initContainers }}
  initContainers:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  containers:
    - name: postern
      image: {{ include "postern.image" $root }}
      imagePullPolicy: {{ $root.Values.image.pullPolicy }}
      {{- if $handover }}
      args: ["queue", "drain", "--queue-dir", {{ include "postern.path.handover" $root | quote }}, "--config", {{ include "postern.path.config" $root | quote }}, "--role", {{ $role | quote }}, "--timeout", {{ printf "%ds" (int $root.Values.handover.timeoutSeconds) | quote }}, "--interval", "5s"]
      {{- else }}
      args: ["serve", "--config", {{ include "postern.path.config" $root | quote }}, "--role", {{ $role | quote }}]
      {{- end }}
      env:
        # JVM flags: scripts/lib/jvm-options.sh in the image reads these three (docs/kubernetes.md).
        - name: POSTERN_JAVA_OPTIONS
          value: {{ $tier.javaOptions | quote }}
        - name: POSTERN_MAX_DIRECT_MEMORY
          value: {{ $tier.maxDirectMemory | quote }}
        # Whole cores, rounded up: the JVM's ActiveProcessorCount (at least 2).
        - name: POSTERN_CPU_REQUEST
          valueFrom:
            resourceFieldRef:
              containerName: postern
              resource: requests.cpu
              divisor: "1"
        {{- with $tier.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- if not $handover }}
      ports:
        {{- range (include "postern.listeners" $root | fromJsonArray) }}
        {{- if or (eq $role "front") (eq $role "all") (eq .kind "lmtp") }}
        - name: {{ .name }}
          containerPort: {{ int .containerPort }}
          protocol: TCP
        {{- end }}
        {{- end }}
        - name: admin
          containerPort: {{ int $root.Values.admin.port }}
          protocol: TCP
      # The admin socket opens after every listener is bound: /healthz answering means started.
      startupProbe:
        httpGet:
          path: /healthz
          port: admin
        {{- toYaml $tier.startupProbe | nindent 8 }}
      livenessProbe:
        httpGet:
          path: /healthz
          port: admin
        {{- toYaml $tier.livenessProbe | nindent 8 }}
      readinessProbe:
        httpGet:
          path: /readyz
          port: admin
        {{- toYaml $tier.readinessProbe | nindent 8 }}
      {{- $queueDrain := include "postern.queueDrainSeconds" . | int }}
      {{- if $queueDrain }}
      # Endpoints are removed during the pause, so load balancers stop sending; then the drain
      # closes the listeners, fails /readyz and delivers the queue until it is empty or the
      # timeout passes (exit 3: the rest stays on the volume). A small JVM beside the server's.
      lifecycle:
        preStop:
          exec:
            command: ["/bin/sh", "-c", {{ printf "sleep %d && exec java -Xmx64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -jar /opt/postern/postern.jar queue drain --config %s --timeout %ds" ($tier.preStopSleepSeconds | int) (include "postern.path.config" $root) $queueDrain | quote }}]
      {{- else if $tier.preStopSleepSeconds }}
      # Endpoints are removed while this runs, so load balancers stop sending before SIGTERM closes
      # the listeners. An exec of sleep (the image has coreutils).
      lifecycle:
        preStop:
          exec:
            command: ["sleep", {{ $tier.preStopSleepSeconds | int | toString | quote }}]
      {{- end }}
      {{- end }}
      resources:
        {{- toYaml $tier.resources | nindent 8 }}
      securityContext:
        {{- toYaml $root.Values.containerSecurityContext | nindent 8 }}
      volumeMounts:
        - name: config
          mountPath: {{ include "postern.path.config" $root }}
          subPath: postern.yaml
          readOnly: true
        - name: queue
          mountPath: {{ include "postern.path.queue" $root }}
        - name: spool
          mountPath: {{ include "postern.path.spool" $root }}
        - name: tmp
          mountPath: /tmp
        {{- if $handover }}
        - name: handover
          mountPath: {{ include "postern.path.handover" $root }}
        {{- end }}
        # LMTP messages over delivery.memoryThreshold wait here before the spool write (the root
        # file system is read-only); /readyz fails while it is not writable.
        - name: delivery-tmp
          mountPath: {{ include "postern.path.deliveryTmp" $root }}
        {{- if $tlsSecret }}
        # A directory mount, not subPath: the kubelet swaps in a renewed certificate.
        - name: tls
          mountPath: {{ include "postern.path.tls" $root }}
          readOnly: true
        {{- end }}
        {{- if eq (include "postern.tlsSource" $root) "selfSigned" }}
        - name: self-signed
          mountPath: {{ include "postern.path.selfSigned" $root }}
        {{- end }}
        {{- if $dirSecret }}
        - name: directory-secret
          mountPath: {{ include "postern.path.directorySecret" $root }}
          readOnly: true
        {{- end }}
        {{- if or $ca.existingConfigMap $ca.existingSecret }}
        - name: directory-ca
          mountPath: {{ include "postern.path.directoryCa" $root }}
          readOnly: true
        {{- end }}
        {{- if $relaySecret }}
        - name: relay-host-secret
          mountPath: {{ include "postern.path.relayHostSecret" $root }}
          readOnly: true
        {{- end }}
        {{- if or $outCa.existingConfigMap $outCa.existingSecret }}
        - name: outbound-ca
          mountPath: {{ include "postern.path.outboundCa" $root }}
          readOnly: true
        {{- end }}
        {{- with $tier.extraVolumeMounts }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    {{- with $tier.extraContainers }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  volumes:
    - name: config
      configMap:
        name: {{ include "postern.fullname" $root }}
    - name: spool
      persistentVolumeClaim:
        claimName: {{ include "postern.spoolClaimName" $root }}
    - name: tmp
      emptyDir:
        sizeLimit: 256Mi
    - name: delivery-tmp
      emptyDir:
        sizeLimit: {{ $root.Values.delivery.tempSizeLimit }}
    {{- if or (ne $component "front") $handover }}
    # Delivery keeps no queue: LMTP answers only after the spool write. A hand-over pod delivers
    # the removed pod's queue (below) and keeps nothing of its own.
    - name: queue
      emptyDir:
        sizeLimit: 64Mi
    {{- end }}
    {{- if $handover }}
    - name: handover
      persistentVolumeClaim:
        claimName: {{ printf "queue-%s-front-%d" (include "postern.fullname" $root) (int .handover) }}
    {{- end }}
    {{- if $tlsSecret }}
    - name: tls
      secret:
        secretName: {{ $tlsSecret }}
        defaultMode: 0440
        items:
          - key: tls.crt
            path: tls.crt
          - key: tls.key
            path: tls.key
    {{- end }}
    {{- if eq (include "postern.tlsSource" $root) "selfSigned" }}
    - name: self-signed
      emptyDir:
        sizeLimit: 1Mi
    {{- end }}
    {{- if $dirSecret }}
    - name: directory-secret
      secret:
        secretName: {{ $dirSecret }}
        defaultMode: 0440
        items:
          - key: {{ include "postern.directorySecretKey" $root }}
            path: {{ include "postern.directorySecretKey" $root }}
    {{- end }}
    {{- if $ca.existingConfigMap }}
    - name: directory-ca
      configMap:
        name: {{ $ca.existingConfigMap }}
        items:
          - key: {{ $ca.key }}
            path: {{ $ca.key }}
    {{- else if $ca.existingSecret }}
    - name: directory-ca
      secret:
        secretName: {{ $ca.existingSecret }}
        items:
          - key: {{ $ca.key }}
            path: {{ $ca.key }}
    {{- end }}
    {{- if $relaySecret }}
    - name: relay-host-secret
      secret:
        secretName: {{ $relaySecret }}
        defaultMode: 0440
        items:
          - key: {{ $root.Values.relayHostCredentials.existingSecretKey }}
            path: {{ $root.Values.relayHostCredentials.existingSecretKey }}
    {{- end }}
    {{- if $outCa.existingConfigMap }}
    - name: outbound-ca
      configMap:
        name: {{ $outCa.existingConfigMap }}
        items:
          - key: {{ $outCa.key }}
            path: {{ $outCa.key }}
    {{- else if $outCa.existingSecret }}
    - name: outbound-ca
      secret:
        secretName: {{ $outCa.existingSecret }}
        items:
          - key: {{ $outCa.key }}
            path: {{ $outCa.key }}
    {{- end }}
    {{- with $tier.extraVolumes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end -}}
