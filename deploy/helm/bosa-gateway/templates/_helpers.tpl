{{- define "bosa-gateway.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "bosa-gateway.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "bosa-gateway.selectorLabels" -}}
app.kubernetes.io/name: {{ include "bosa-gateway.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "bosa-gateway.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "bosa-gateway.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "bosa-gateway.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "bosa-gateway.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The admin listener is on when asked for, or when TLS leaves the probes no plain port. */}}
{{- define "bosa-gateway.adminEnabled" -}}
{{- if or .Values.admin.enabled .Values.tls.existingSecret }}true{{ end }}
{{- end }}

{{/* Replicas share page tokens only with one signing secret. */}}
{{- define "bosa-gateway.validate" -}}
{{- if and (or (gt (int .Values.replicaCount) 1) .Values.autoscaling.enabled) (not .Values.secrets.pageTokenSecret.existingSecret) }}
{{- fail "secrets.pageTokenSecret.existingSecret is required with more than one replica (or autoscaling): every replica must sign page tokens with the same secret" }}
{{- end }}
{{- if and .Values.tls.clientCA.existingSecret (not .Values.tls.existingSecret) }}
{{- fail "tls.clientCA needs tls.existingSecret (mutual TLS needs server TLS)" }}
{{- end }}
{{- if and .Values.admin.metricsOnly (not (include "bosa-gateway.adminEnabled" .)) }}
{{- fail "admin.metricsOnly needs admin.enabled" }}
{{- end }}
{{- end }}
