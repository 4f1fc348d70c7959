{{/*
The public Services (the one for clients, and the MX one when service.mx.separate): shared spec
fields. Include with (dict "root" $ "loadBalancerIP" "...").
*/}}
{{- define "postern.publicServiceSpec" -}}
{{- $svc := .root.Values.service -}}
type: {{ $svc.type }}
{{- if ne $svc.type "ClusterIP" }}
externalTrafficPolicy: {{ $svc.externalTrafficPolicy }}
{{- end }}
{{- with $svc.ipFamilyPolicy }}
ipFamilyPolicy: {{ . }}
{{- end }}
{{- with $svc.ipFamilies }}
ipFamilies:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if eq $svc.type "LoadBalancer" }}
{{- with $svc.loadBalancerClass }}
loadBalancerClass: {{ . }}
{{- end }}
{{- with .loadBalancerIP }}
loadBalancerIP: {{ . }}
{{- end }}
{{- with $svc.loadBalancerSourceRanges }}
loadBalancerSourceRanges:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
{{- end -}}

{{/*
The ports of a public Service: include with (dict "root" $ "mx" true|false). Without
service.mx.separate the client Service (mx false) carries the MX port too.
*/}}
{{- define "postern.publicServicePorts" -}}
{{- $root := .root -}}
{{- $separate := $root.Values.service.mx.separate -}}
{{- $wantMx := .mx -}}
{{- range (include "postern.listeners" $root | fromJsonArray) }}
{{- $isMx := eq .kind "mx" }}
{{- if and (ne .kind "lmtp") (or (and $wantMx $isMx) (and (not $wantMx) (or (not $separate) (not $isMx)))) }}
- name: {{ .name }}
  port: {{ int .servicePort }}
  targetPort: {{ .name }}
  protocol: TCP
  {{- if and (ne $root.Values.service.type "ClusterIP") (hasKey $root.Values.service.nodePorts .name) }}
  nodePort: {{ index $root.Values.service.nodePorts .name }}
  {{- end }}
{{- end }}
{{- end }}
{{- end -}}
