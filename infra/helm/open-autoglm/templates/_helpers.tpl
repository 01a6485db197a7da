{{/* The release's name for every object, at most 63 characters (a DNS label). */}}
{{- define "autoglm.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "autoglm.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "autoglm.selector" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* image: "repository:tag", the tag defaulting to the chart's appVersion. */}}
{{- define "autoglm.image" -}}
{{- printf "%s:%s" .image.repository (default .root.Chart.AppVersion .image.tag) -}}
{{- end -}}

{{/* The in-cluster URL agents reach the server at (the Service, not the Ingress). */}}
{{- define "autoglm.serverUrl" -}}
{{- printf "http://%s.%s.svc:%d" (include "autoglm.fullname" .) .Release.Namespace (int .Values.server.service.port) -}}
{{- end -}}

{{/* The Secret holding AUTH_SECRET: the operator's, else the one this chart generates once. */}}
{{- define "autoglm.authSecretName" -}}
{{- default (printf "%s-auth" (include "autoglm.fullname" .)) .Values.auth.existingSecret -}}
{{- end -}}

{{/* The Secret and key holding DATABASE_URL: the bundled PostgreSQL's, else the operator's. */}}
{{- define "autoglm.databaseSecretName" -}}
{{- if .Values.postgresql.enabled -}}
{{- printf "%s-postgresql" (include "autoglm.fullname" .) -}}
{{- else -}}
{{- required "database.existingSecret: name a Secret with the PostgreSQL URL (or set postgresql.enabled=true)" .Values.database.existingSecret -}}
{{- end -}}
{{- end -}}
{{- define "autoglm.databaseSecretKey" -}}
{{- if .Values.postgresql.enabled -}}DATABASE_URL{{- else -}}{{ .Values.database.secretKey }}{{- end -}}
{{- end -}}

{{/* A Secret value kept across upgrades: the live object's, else a new random one (48 characters). */}}
{{- define "autoglm.keptRandom" -}}
{{- $live := lookup "v1" "Secret" .namespace .name -}}
{{- if and $live $live.data (hasKey $live.data .key) -}}
{{- index $live.data .key | b64dec -}}
{{- else -}}
{{- randAlphaNum 48 -}}
{{- end -}}
{{- end -}}

{{/* The claim the local artifact store lives on: "" when artifacts go to S3 or persistence is off. */}}
{{- define "autoglm.artifactsClaim" -}}
{{- $a := .Values.artifacts -}}
{{- if and (not $a.s3.bucket) $a.persistence.enabled -}}
{{- $a.persistence.existingClaim | default (printf "%s-artifacts" (include "autoglm.fullname" .)) -}}
{{- end -}}
{{- end -}}
