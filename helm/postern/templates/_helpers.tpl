{{/*
Names, labels and the values the templates share. Paths inside the pod are fixed here, once:
the rendered postern.yaml and the volume mounts must agree on them.
*/}}

{{- define "postern.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "postern.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "postern.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels of every resource. */}}
{{- define "postern.labels" -}}
helm.sh/chart: {{ include "postern.chart" . }}
app.kubernetes.io/name: {{ include "postern.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector of every pod of the release (both tiers). */}}
{{- define "postern.selectorLabels" -}}
app.kubernetes.io/name: {{ include "postern.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Selector of one tier: include with (dict "root" $ "component" "front"). */}}
{{- define "postern.componentSelectorLabels" -}}
{{ include "postern.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "postern.annotations" -}}
{{- with .Values.commonAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "postern.image" -}}
{{- $repo := .Values.image.repository -}}
{{- if .Values.image.registry -}}{{- $repo = printf "%s/%s" .Values.image.registry $repo -}}{{- end -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" $repo .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repo (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "postern.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "postern.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Fixed paths in the pod. */}}
{{- define "postern.path.config" -}}/etc/postern/postern.yaml{{- end -}}
{{- define "postern.path.tls" -}}/etc/postern/tls{{- end -}}
{{- define "postern.path.directorySecret" -}}/etc/postern/secrets/directory{{- end -}}
{{- define "postern.path.directoryCa" -}}/etc/postern/ca{{- end -}}
{{- define "postern.path.relayHostSecret" -}}/etc/postern/secrets/relay-host{{- end -}}
{{- define "postern.path.outboundCa" -}}/etc/postern/outbound-ca{{- end -}}
{{- define "postern.path.deliveryTmp" -}}/var/lib/postern/delivery-tmp{{- end -}}
{{- define "postern.path.queue" -}}/var/lib/postern/queue{{- end -}}
{{- define "postern.path.spool" -}}/var/lib/postern/spool{{- end -}}
{{- define "postern.path.handover" -}}/var/lib/postern/handover{{- end -}}
{{- define "postern.path.selfSigned" -}}/var/lib/postern/tls{{- end -}}

{{/* node.drainTimeout in whole seconds (rounded up); the schema guarantees the format. */}}
{{- define "postern.drainSeconds" -}}
{{- $text := toString .Values.config.node.drainTimeout -}}
{{- $amount := regexFind "^[0-9]+" $text | int -}}
{{- $unit := regexReplaceAll "^[0-9]+" $text "" -}}
{{- if eq $unit "ms" -}}{{- div (add $amount 999) 1000 -}}
{{- else if eq $unit "m" -}}{{- mul $amount 60 -}}
{{- else if eq $unit "h" -}}{{- mul $amount 3600 -}}
{{- else if eq $unit "d" -}}{{- mul $amount 86400 -}}
{{- else -}}{{- $amount -}}
{{- end -}}
{{- end -}}

{{/* Grace period of a tier: its own value, or the drain timeout plus 15 s for the JVM to stop. */}}
{{- define "postern.gracePeriod" -}}
{{- $tier := index .root.Values .component -}}
{{- if $tier.terminationGracePeriodSeconds -}}
{{- $tier.terminationGracePeriodSeconds | int -}}
{{- else -}}
{{- add (include "postern.drainSeconds" .root | int) ($tier.preStopSleepSeconds | int) (include "postern.queueDrainSeconds" .) 15 -}}
{{- end -}}
{{- end -}}

{{/* How long the front's preStop may run `postern queue drain` (0: no drain; delivery keeps no queue). */}}
{{- define "postern.queueDrainSeconds" -}}
{{- $tier := index .root.Values .component -}}
{{- if and (eq .component "front") $tier.drainOnStop.enabled -}}
{{- $tier.drainOnStop.timeoutSeconds | int -}}
{{- else -}}0{{- end -}}
{{- end -}}

{{/* Where the TLS certificate comes from: existingSecret, certManager, inline, selfSigned or none. */}}
{{- define "postern.tlsSource" -}}
{{- $tls := .Values.tls -}}
{{- if not $tls.enabled -}}none
{{- else if $tls.existingSecret -}}existingSecret
{{- else if $tls.certManager.enabled -}}certManager
{{- else if or $tls.certificate $tls.privateKey -}}inline
{{- else if $tls.selfSigned -}}selfSigned
{{- else -}}missing
{{- end -}}
{{- end -}}

{{/* The kubernetes.io/tls Secret mounted at postern.path.tls, or empty. */}}
{{- define "postern.tlsSecretName" -}}
{{- $source := include "postern.tlsSource" . -}}
{{- if eq $source "existingSecret" -}}{{- .Values.tls.existingSecret -}}
{{- else if or (eq $source "certManager") (eq $source "inline") -}}{{- printf "%s-tls" (include "postern.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/* The Secret holding the LDAP bind password, or empty when the service account binds anonymously. */}}
{{- define "postern.directorySecretName" -}}
{{- if .Values.directoryCredentials.existingSecret -}}{{- .Values.directoryCredentials.existingSecret -}}
{{- else if .Values.directoryCredentials.bindPassword -}}{{- printf "%s-directory" (include "postern.fullname" .) -}}
{{- end -}}
{{- end -}}

{{- define "postern.directorySecretKey" -}}
{{- if .Values.directoryCredentials.existingSecret -}}{{- .Values.directoryCredentials.existingSecretKey -}}{{- else -}}bindPassword{{- end -}}
{{- end -}}

{{- define "postern.spoolClaimName" -}}
{{- default (printf "%s-spool" (include "postern.fullname" .)) .Values.spoolPersistence.existingClaim -}}
{{- end -}}

{{/* The role of the front pods: front hands local mail to the delivery tier; all delivers itself. */}}
{{- define "postern.frontRole" -}}
{{- if .Values.delivery.enabled -}}front{{- else -}}all{{- end -}}
{{- end -}}

{{/*
The listeners Postern binds, as a list of dicts: name, kind, tls, containerPort, servicePort.
Implicit-TLS listeners exist only with a certificate.
*/}}
{{- define "postern.listeners" -}}
{{- $l := .Values.listeners -}}
{{- $tls := .Values.tls.enabled -}}
{{- $starttls := ternary "starttls" "none" $tls -}}
{{- $out := list -}}
{{- /* Which balancer fronts each listener: the MX one for smtp when service.mx.separate, else the public one. */ -}}
{{- $public := .Values.service.proxyProtocol -}}
{{- $mxProxy := ternary .Values.service.mx.proxyProtocol $public .Values.service.mx.separate -}}
{{- if $l.smtp.enabled -}}{{- $out = append $out (dict "name" "smtp" "kind" "mx" "tls" $starttls "containerPort" $l.smtp.containerPort "servicePort" $l.smtp.servicePort "milters" ($l.smtp.milters | default list) "proxy" $mxProxy) -}}{{- end -}}
{{- if $l.submission.enabled -}}{{- $out = append $out (dict "name" "submission" "kind" "submission" "tls" $starttls "containerPort" $l.submission.containerPort "servicePort" $l.submission.servicePort "milters" ($l.submission.milters | default list) "proxy" $public) -}}{{- end -}}
{{- if and $tls $l.submissions.enabled -}}{{- $out = append $out (dict "name" "submissions" "kind" "submission" "tls" "implicit" "containerPort" $l.submissions.containerPort "servicePort" $l.submissions.servicePort "milters" ($l.submissions.milters | default list) "proxy" $public) -}}{{- end -}}
{{- if $l.pop3.enabled -}}{{- $out = append $out (dict "name" "pop3" "kind" "pop3" "tls" $starttls "containerPort" $l.pop3.containerPort "servicePort" $l.pop3.servicePort "proxy" $public) -}}{{- end -}}
{{- if and $tls $l.pop3s.enabled -}}{{- $out = append $out (dict "name" "pop3s" "kind" "pop3" "tls" "implicit" "containerPort" $l.pop3s.containerPort "servicePort" $l.pop3s.servicePort "proxy" $public) -}}{{- end -}}
{{- $out = append $out (dict "name" "lmtp" "kind" "lmtp" "tls" "none" "containerPort" $l.lmtp.containerPort "servicePort" $l.lmtp.servicePort) -}}
{{- toJson $out -}}
{{- end -}}

{{/*
Postern's configuration file. Only keys that Postern reads are rendered (it rejects unknown
keys); empty optional values are left out so that Postern's own defaults apply.
*/}}
{{- define "postern.config" -}}
{{- $c := .Values.config -}}
{{- $cfg := dict -}}
{{- $_ := set $cfg "node" (dict "hostname" $c.node.hostname "role" (include "postern.frontRole" .) "drainTimeout" $c.node.drainTimeout) -}}
{{- $listeners := list -}}
{{- range (include "postern.listeners" . | fromJsonArray) -}}
{{- $listener := dict "name" .name "kind" .kind "address" "0.0.0.0" "port" (int .containerPort) "tls" .tls -}}
{{- if and .proxy .proxy.enabled -}}
{{- $_ := set $listener "proxyProtocol" (dict "enabled" true "trustedProxies" .proxy.trustedProxies) -}}
{{- end -}}
{{- with .milters -}}{{- $_ := set $listener "milters" . -}}{{- end -}}
{{- $listeners = append $listeners $listener -}}
{{- end -}}
{{- $_ := set $cfg "listeners" $listeners -}}
{{- /* The kubelet probes the pod's address, so the admin endpoint cannot stay on loopback here. */ -}}
{{- /* Host names the admin endpoint answers besides IP addresses: the metrics Service's names (DNS-rebinding defence). */ -}}
{{- $metrics := printf "%s-metrics" (include "postern.fullname" .) -}}
{{- $hosts := list "localhost" $metrics (printf "%s.%s" $metrics .Release.Namespace) (printf "%s.%s.svc" $metrics .Release.Namespace) (printf "%s.%s.svc.cluster.local" $metrics .Release.Namespace) -}}
{{- $hosts = concat $hosts (.Values.admin.allowedHosts | default list) -}}
{{- /* The queue API keeps its loopback default: reach it with kubectl exec, never from the monitoring namespace. */ -}}
{{- $admin := deepCopy ($c.admin | default dict) -}}
{{- $_ := set $cfg "admin" (merge (dict "address" "0.0.0.0" "port" (int .Values.admin.port) "allowedHosts" $hosts) $admin) -}}
{{- $source := include "postern.tlsSource" . -}}
{{- if eq $source "selfSigned" -}}
{{- $_ := set $cfg "tls" (dict "selfSigned" true "selfSignedDirectory" (include "postern.path.selfSigned" .)) -}}
{{- else if ne $source "none" -}}
{{- $_ := set $cfg "tls" (dict "certificateFile" (printf "%s/tls.crt" (include "postern.path.tls" .)) "privateKeyFile" (printf "%s/tls.key" (include "postern.path.tls" .))) -}}
{{- end -}}
{{- if and (hasKey $cfg "tls") $c.tls -}}
{{- range $key, $value := $c.tls -}}{{- if $value -}}{{- $_ := set $cfg.tls $key $value -}}{{- end -}}{{- end -}}
{{- end -}}
{{- /* Every directory key passes through; empty strings, lists and maps at this level mean "Postern's default". */ -}}
{{- $dir := dict -}}
{{- range $key, $value := deepCopy $c.directory -}}
{{- if or (kindIs "bool" $value) (kindIs "float64" $value) (kindIs "int" $value) (kindIs "int64" $value) $value -}}{{- $_ := set $dir $key $value -}}{{- end -}}
{{- end -}}
{{- /* An empty search base would search from the root: leave it out so that baseDn applies. */ -}}
{{- with $dir.bases -}}
{{- $bases := dict -}}
{{- range $key, $value := . -}}{{- if $value -}}{{- $_ := set $bases $key $value -}}{{- end -}}{{- end -}}
{{- if $bases -}}{{- $_ := set $dir "bases" $bases -}}{{- else -}}{{- $_ := unset $dir "bases" -}}{{- end -}}
{{- end -}}
{{- if include "postern.directorySecretName" . -}}
{{- $_ := set $dir "bindPassword" (printf "${file:%s/%s}" (include "postern.path.directorySecret" .) (include "postern.directorySecretKey" .)) -}}
{{- end -}}
{{- if or .Values.directoryCa.existingConfigMap .Values.directoryCa.existingSecret -}}
{{- $_ := set $dir "caFile" (printf "%s/%s" (include "postern.path.directoryCa" .) .Values.directoryCa.key) -}}
{{- end -}}
{{- $_ := set $cfg "directory" $dir -}}
{{- $_ := set $cfg "domains" $c.domains -}}
{{- with $c.routing -}}{{- if or .relayDomains .localHomeServers -}}{{- $_ := set $cfg "routing" (dict "relayDomains" (.relayDomains | default list) "localHomeServers" (.localHomeServers | default list)) -}}{{- end -}}{{- end -}}
{{- $relay := dict -}}
{{- with $c.relay.trustedNetworks -}}{{- $_ := set $relay "trustedNetworks" . -}}{{- end -}}
{{- with $c.relay.clusterNetworks -}}{{- $_ := set $relay "clusterNetworks" . -}}{{- end -}}
{{- with $c.relay.trustedNetworksFrom -}}{{- if .dn -}}{{- $_ := set $relay "trustedNetworksFrom" . -}}{{- end -}}{{- end -}}
{{- with $c.relay.permission -}}{{- $_ := set $relay "permission" . -}}{{- end -}}
{{- with $c.relay.limits -}}
{{- $limits := deepCopy . -}}
{{- /* Each front node counts alone and allows its share: by default, one share per front pod (the most pods under autoscaling). */ -}}
{{- if not (hasKey $limits "frontNodes") -}}
{{- $nodes := ternary $.Values.front.autoscaling.maxReplicas $.Values.front.replicas (and $.Values.front.autoscaling $.Values.front.autoscaling.enabled | default false) -}}
{{- $_ := set $limits "frontNodes" (int $nodes) -}}
{{- end -}}
{{- $_ := set $relay "limits" $limits -}}
{{- end -}}
{{- if $relay -}}{{- $_ := set $cfg "relay" $relay -}}{{- end -}}
{{- $_ := set $cfg "auth" $c.auth -}}
{{- with $c.smtp -}}{{- $_ := set $cfg "smtp" . -}}{{- end -}}
{{- with $c.pop3 -}}{{- $_ := set $cfg "pop3" . -}}{{- end -}}
{{- with $c.cache -}}{{- $_ := set $cfg "cache" . -}}{{- end -}}
{{- with $c.milters -}}{{- $_ := set $cfg "milters" . -}}{{- end -}}
{{- $_ := set $cfg "delivery" (merge (dict "tempDirectory" (include "postern.path.deliveryTmp" .)) ($c.delivery | default dict)) -}}
{{- $_ := set $cfg "outbound" (include "postern.outbound" . | fromYaml) -}}
{{- $_ := set $cfg "queue" (merge (dict "directory" (include "postern.path.queue" .)) $c.queue) -}}
{{- $_ := set $cfg "spool" (merge (dict "root" (include "postern.path.spool" .)) $c.spool) -}}
{{- $_ := set $cfg "logging" $c.logging -}}
{{- toYaml $cfg -}}
{{- end -}}

{{/*
The outbound section: the values' keys, the relay host only when it names a host, its password
from the mounted Secret, trusted CAs from the mounted ConfigMap/Secret, and the delivery tier's
LMTP Service as the front's LMTP target.
*/}}
{{- define "postern.outbound" -}}
{{- $out := deepCopy (.Values.config.outbound | default dict) -}}
{{- $relay := $out.relayHost | default dict -}}
{{- if $relay.host -}}
{{- if not $relay.username -}}{{- $_ := unset $relay "username" -}}{{- end -}}
{{- if .Values.relayHostCredentials.existingSecret -}}
{{- $_ := set $relay "password" (printf "${file:%s/%s}" (include "postern.path.relayHostSecret" .) .Values.relayHostCredentials.existingSecretKey) -}}
{{- end -}}
{{- $_ := set $out "relayHost" $relay -}}
{{- else -}}
{{- $_ := unset $out "relayHost" -}}
{{- end -}}
{{- $ca := .Values.outboundCa -}}
{{- if or $ca.existingConfigMap $ca.existingSecret -}}
{{- $_ := set $out "tls" (merge (dict "trustFile" (printf "%s/%s" (include "postern.path.outboundCa" .) $ca.key)) ($out.tls | default dict)) -}}
{{- end -}}
{{- if .Values.delivery.enabled -}}
{{- $_ := set $out "lmtpTargets" (list (printf "%s-lmtp.%s.svc:%d" (include "postern.fullname" .) .Release.Namespace (int .Values.listeners.lmtp.servicePort))) -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/*
Every problem in the values at once (the schema checks types; this checks what spans keys).
*/}}
{{- define "postern.validateValues" -}}
{{- $problems := list -}}
{{- $c := .Values.config -}}
{{- if not $c.domains -}}
{{- $problems = append $problems "config.domains: name at least one mail domain" -}}
{{- end -}}
{{- if and (not $c.directory.urls) (not $c.directory.domain) -}}
{{- $problems = append $problems "config.directory: set urls (ldap://, ldaps://) or domain (Active Directory DNS SRV discovery)" -}}
{{- end -}}
{{- if and $c.directory.urls $c.directory.domain -}}
{{- $problems = append $problems "config.directory: urls and domain are exclusive (domain is only for DNS SRV discovery)" -}}
{{- end -}}
{{- if not $c.directory.baseDn -}}
{{- $problems = append $problems "config.directory.baseDn: is required" -}}
{{- end -}}
{{- $creds := .Values.directoryCredentials -}}
{{- if and $creds.bindPassword $creds.existingSecret -}}
{{- $problems = append $problems "directoryCredentials: bindPassword and existingSecret are exclusive" -}}
{{- end -}}
{{- if and $c.directory.bindDn (not (or $creds.bindPassword $creds.existingSecret)) -}}
{{- $problems = append $problems "directoryCredentials: config.directory.bindDn is set: give bindPassword or existingSecret" -}}
{{- end -}}
{{- if and (not $c.directory.bindDn) (or $creds.bindPassword $creds.existingSecret) -}}
{{- $problems = append $problems "config.directory.bindDn: is required when directoryCredentials carries a password" -}}
{{- end -}}
{{- $relay := (($c.outbound | default dict).relayHost | default dict) -}}
{{- $relaySecret := .Values.relayHostCredentials.existingSecret -}}
{{- if and $relaySecret (not $relay.host) -}}
{{- $problems = append $problems "relayHostCredentials.existingSecret: set config.outbound.relayHost.host too" -}}
{{- end -}}
{{- if and $relaySecret (not $relay.username) -}}
{{- $problems = append $problems "config.outbound.relayHost.username: is required with relayHostCredentials.existingSecret" -}}
{{- end -}}
{{- if and $relay.username (not $relaySecret) -}}
{{- $problems = append $problems "relayHostCredentials.existingSecret: config.outbound.relayHost.username is set: name the Secret holding its password" -}}
{{- end -}}
{{- if and .Values.outboundCa.existingConfigMap .Values.outboundCa.existingSecret -}}
{{- $problems = append $problems "outboundCa: existingConfigMap and existingSecret are exclusive" -}}
{{- end -}}
{{- if and $c.tls (not .Values.tls.enabled) -}}
{{- $problems = append $problems "config.tls: protocols and ciphers need tls.enabled" -}}
{{- end -}}
{{- if and .Values.directoryCa.existingConfigMap .Values.directoryCa.existingSecret -}}
{{- $problems = append $problems "directoryCa: existingConfigMap and existingSecret are exclusive" -}}
{{- end -}}
{{- $tls := .Values.tls -}}
{{- if $tls.enabled -}}
{{- $sources := 0 -}}
{{- if $tls.existingSecret -}}{{- $sources = add1 $sources -}}{{- end -}}
{{- if $tls.certManager.enabled -}}{{- $sources = add1 $sources -}}{{- end -}}
{{- if or $tls.certificate $tls.privateKey -}}{{- $sources = add1 $sources -}}{{- end -}}
{{- if gt $sources 1 -}}
{{- $problems = append $problems "tls: choose one of existingSecret, certManager.enabled, certificate/privateKey" -}}
{{- end -}}
{{- if and (or $tls.certificate $tls.privateKey) (not (and $tls.certificate $tls.privateKey)) -}}
{{- $problems = append $problems "tls: certificate and privateKey go together" -}}
{{- end -}}
{{- if and $tls.certManager.enabled (not $tls.certManager.issuerRef.name) -}}
{{- $problems = append $problems "tls.certManager.issuerRef.name: is required with tls.certManager.enabled" -}}
{{- end -}}
{{- if eq (include "postern.tlsSource" .) "missing" -}}
{{- $problems = append $problems "tls: enabled, but no certificate: set existingSecret, certManager.enabled, certificate/privateKey, or selfSigned (testing only)" -}}
{{- end -}}
{{- end -}}
{{- $drain := include "postern.drainSeconds" . | int -}}
{{- range $tier := list "front" "delivery" -}}
{{- $values := index $.Values $tier -}}
{{- if and $values.terminationGracePeriodSeconds (le ($values.terminationGracePeriodSeconds | int) (add $drain ($values.preStopSleepSeconds | int))) -}}
{{- $problems = append $problems (printf "%s.terminationGracePeriodSeconds: %v must be longer than config.node.drainTimeout (%d s) plus %s.preStopSleepSeconds (%d s)" $tier $values.terminationGracePeriodSeconds $drain $tier ($values.preStopSleepSeconds | int)) -}}
{{- end -}}
{{- if and $values.autoscaling.enabled (gt ($values.autoscaling.minReplicas | int) ($values.autoscaling.maxReplicas | int)) -}}
{{- $problems = append $problems (printf "%s.autoscaling: minReplicas is above maxReplicas" $tier) -}}
{{- end -}}
{{- end -}}
{{- $front := .Values.front -}}
{{- $queueDrain := include "postern.queueDrainSeconds" (dict "root" . "component" "front") | int -}}
{{- if and $front.terminationGracePeriodSeconds $queueDrain (le ($front.terminationGracePeriodSeconds | int) (add $drain ($front.preStopSleepSeconds | int) $queueDrain)) -}}
{{- $problems = append $problems (printf "front.terminationGracePeriodSeconds: %v must be longer than front.preStopSleepSeconds (%d s) plus front.drainOnStop.timeoutSeconds (%d s) plus config.node.drainTimeout (%d s)" $front.terminationGracePeriodSeconds ($front.preStopSleepSeconds | int) $queueDrain $drain) -}}
{{- end -}}
{{- $queueApi := ((($c.admin | default dict).queueApi) | default dict) -}}
{{- if and $front.drainOnStop.enabled (eq (toString $queueApi.enabled) "false") -}}
{{- $problems = append $problems "front.drainOnStop.enabled: the preStop drain asks the pod's queue API: keep config.admin.queueApi.enabled, or turn the drain off" -}}
{{- end -}}
{{- if and $front.autoscaling.enabled (not (and $front.drainOnStop.enabled .Values.handover.enabled)) -}}
{{- $problems = append $problems "front.autoscaling.enabled: a scale-down would strand the removed pod's queue: set front.drainOnStop.enabled and handover.enabled (docs/kubernetes.md, \"Node loss and scale-down\")" -}}
{{- end -}}
{{- if .Values.handover.enabled -}}
{{- range .Values.handover.ordinals -}}
{{- if and (not $front.autoscaling.enabled) (lt (int .) ($front.replicas | int)) -}}
{{- $problems = append $problems (printf "handover.ordinals: %d is a running front pod (front.replicas is %d): only removed ordinals can be handed over" (int .) ($front.replicas | int)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $ports := dict (toString .Values.admin.port) "admin.port" -}}
{{- range (include "postern.listeners" . | fromJsonArray) -}}
{{- $key := toString (int .containerPort) -}}
{{- if hasKey $ports $key -}}
{{- $problems = append $problems (printf "listeners.%s.containerPort: %s is already used by %s" .name $key (index $ports $key)) -}}
{{- else -}}
{{- $_ := set $ports $key (printf "listeners.%s" .name) -}}
{{- end -}}
{{- end -}}
{{- if eq (len (include "postern.listeners" . | fromJsonArray)) 1 -}}
{{- $problems = append $problems "listeners: enable at least one of smtp, submission, submissions, pop3, pop3s (the implicit TLS ones need tls.enabled)" -}}
{{- end -}}
{{- $shared := or .Values.delivery.enabled (gt (.Values.front.replicas | int) 1) .Values.front.autoscaling.enabled -}}
{{- if and $shared (not .Values.spoolPersistence.existingClaim) (not (has "ReadWriteMany" .Values.spoolPersistence.accessModes)) -}}
{{- $problems = append $problems "spoolPersistence.accessModes: several pods mount the spools: ReadWriteMany is required (or give an existingClaim)" -}}
{{- end -}}
{{- if $problems -}}
{{- printf "\nVALUES VALIDATION:\n  %s" (join "\n  " $problems) | fail -}}
{{- end -}}
{{- end -}}
