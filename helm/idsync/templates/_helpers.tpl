{{/*
Names and labels shared by every template. Templates reference values only by their full
.Values path (never through a helper's own variables), so test/deploy can check that every value
is used and every used value exists.
*/}}

{{/* The chart name, or nameOverride. */}}
{{- define "idsync.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Resource name prefix: fullnameOverride, else release-chart (just the release when it contains the chart name). */}}
{{- define "idsync.fullname" -}}
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

{{- define "idsync.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels that never change for the life of a release: the Deployment selector. */}}
{{- define "idsync.selectorLabels" -}}
app.kubernetes.io/name: {{ include "idsync.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "idsync.labels" -}}
helm.sh/chart: {{ include "idsync.chart" . }}
{{ include "idsync.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: server
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "idsync.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "idsync.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The Secret the pods load as environment: the user's existingSecret, else the chart's own. */}}
{{- define "idsync.secretName" -}}
{{- default (include "idsync.fullname" .) .Values.existingSecret -}}
{{- end -}}

{{- define "idsync.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* server.publicUrl, else https://FIRST-INGRESS-HOST (http without ingress TLS), else empty (the app's default). */}}
{{- define "idsync.publicUrl" -}}
{{- if .Values.server.publicUrl -}}
{{- .Values.server.publicUrl | trimSuffix "/" -}}
{{- else if and .Values.ingress.enabled .Values.ingress.hosts -}}
{{- printf "%s://%s" (ternary "https" "http" (not (empty .Values.ingress.tls))) (first .Values.ingress.hosts) -}}
{{- end -}}
{{- end -}}

{{/* True (non-empty) when the pods keep SQLite data on a claim. */}}
{{- define "idsync.persistent" -}}
{{- if and (eq .Values.store "sqlite") .Values.persistence.enabled -}}true{{- end -}}
{{- end -}}
