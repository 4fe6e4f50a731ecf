// Package helm tests the bosa-gateway chart: rendered with the Helm SDK for several value sets, every
// object decoded strictly into its Kubernetes API type (an unknown or misspelt field fails), the
// operational invariants checked, and helm lint run.
package helm

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/loader"
	"helm.sh/helm/v4/pkg/engine"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

const chartDir = "bosa-gateway"

// kubeVersion is what lint checks the chart's kubeVersion constraint against.
var kubeVersion = &common.KubeVersion{Version: "v1.33.0", Major: "1", Minor: "33"}

// objects are the decoded objects of one rendering, by kind and name.
type objects struct {
	deployments     map[string]*appsv1.Deployment
	services        map[string]*corev1.Service
	pdbs            map[string]*policyv1.PodDisruptionBudget
	hpas            map[string]*autoscalingv2.HorizontalPodAutoscaler
	serviceMonitors map[string]*monitoringv1.ServiceMonitor
	serviceAccounts map[string]*corev1.ServiceAccount
	kinds           []string
}

// valuesFile reads a values file as `helm install -f` does.
func valuesFile(t *testing.T, path string) map[string]any {
	t.Helper()
	v, err := common.ReadValuesFile(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

func render(vals map[string]any) (map[string]string, error) {
	ch, err := loader.Load(chartDir)
	if err != nil {
		return nil, err
	}
	rv, err := util.ToRenderValues(ch, vals, common.ReleaseOptions{Name: "gw", Namespace: "prod", IsInstall: true}, nil)
	if err != nil {
		return nil, err
	}
	return engine.Render(ch, rv)
}

// decode splits the manifests and decodes each object strictly into its API type.
func decode(t *testing.T, manifests map[string]string) *objects {
	t.Helper()
	o := &objects{deployments: map[string]*appsv1.Deployment{}, services: map[string]*corev1.Service{},
		pdbs: map[string]*policyv1.PodDisruptionBudget{}, hpas: map[string]*autoscalingv2.HorizontalPodAutoscaler{},
		serviceMonitors: map[string]*monitoringv1.ServiceMonitor{}, serviceAccounts: map[string]*corev1.ServiceAccount{}}
	for _, file := range slices.Sorted(maps.Keys(manifests)) {
		if strings.HasSuffix(file, "NOTES.txt") || strings.HasSuffix(file, ".tpl") {
			continue
		}
		for _, doc := range strings.Split(manifests[file], "\n---") {
			if strings.TrimSpace(strings.ReplaceAll(doc, "---", "")) == "" {
				continue
			}
			var tm metav1.TypeMeta
			if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			var obj interface{ GetName() string }
			var put func()
			switch tm.APIVersion + " " + tm.Kind {
			case "apps/v1 Deployment":
				d := &appsv1.Deployment{}
				obj, put = d, func() { o.deployments[d.Name] = d }
			case "v1 Service":
				s := &corev1.Service{}
				obj, put = s, func() { o.services[s.Name] = s }
			case "policy/v1 PodDisruptionBudget":
				p := &policyv1.PodDisruptionBudget{}
				obj, put = p, func() { o.pdbs[p.Name] = p }
			case "autoscaling/v2 HorizontalPodAutoscaler":
				h := &autoscalingv2.HorizontalPodAutoscaler{}
				obj, put = h, func() { o.hpas[h.Name] = h }
			case "monitoring.coreos.com/v1 ServiceMonitor":
				m := &monitoringv1.ServiceMonitor{}
				obj, put = m, func() { o.serviceMonitors[m.Name] = m }
			case "v1 ServiceAccount":
				a := &corev1.ServiceAccount{}
				obj, put = a, func() { o.serviceAccounts[a.Name] = a }
			default:
				t.Fatalf("%s: unexpected object %s %s (a Secret or anything else the test does not know)", file, tm.APIVersion, tm.Kind)
			}
			if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
				t.Fatalf("%s: %s does not decode strictly: %v\n%s", file, tm.Kind, err, doc)
			}
			put()
			o.kinds = append(o.kinds, tm.Kind)
		}
	}
	return o
}

func env(c corev1.Container) map[string]corev1.EnvVar {
	m := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		m[e.Name] = e
	}
	return m
}

func durationEnv(t *testing.T, e map[string]corev1.EnvVar, name string) int64 {
	t.Helper()
	var secs int64
	if _, err := fmt.Sscanf(e[name].Value, "%ds", &secs); err != nil {
		t.Fatalf("%s = %q, want whole seconds", name, e[name].Value)
	}
	return secs
}

// checkDeployment checks what every rendering must hold: drain timings, probes, security and secrets.
func checkDeployment(t *testing.T, d *appsv1.Deployment) (corev1.Container, map[string]corev1.EnvVar) {
	t.Helper()
	spec := d.Spec.Template.Spec
	if len(spec.Containers) != 1 {
		t.Fatalf("%d containers", len(spec.Containers))
	}
	c := spec.Containers[0]
	e := env(c)
	drain, shutdown := durationEnv(t, e, "BOSA_DRAIN_DELAY"), durationEnv(t, e, "BOSA_SHUTDOWN_TIMEOUT")
	var preStop int64
	if c.Lifecycle != nil && c.Lifecycle.PreStop != nil && c.Lifecycle.PreStop.Sleep != nil {
		preStop = c.Lifecycle.PreStop.Sleep.Seconds
	}
	if g := spec.TerminationGracePeriodSeconds; g == nil || *g <= preStop+drain+shutdown {
		t.Errorf("terminationGracePeriodSeconds %v, want more than preStop %d + drain %d + shutdown %d", g, preStop, drain, shutdown)
	}
	if e["BOSA_GRPC_ADDR"].Value != ":50051" || e["BOSA_HTTP_ADDR"].Value != ":8080" {
		t.Errorf("listen addresses %q %q, want all interfaces", e["BOSA_GRPC_ADDR"].Value, e["BOSA_HTTP_ADDR"].Value)
	}
	for _, name := range []string{"BOSA_API_KEY", "BOSA_PAGE_TOKEN_SECRET"} {
		if v, ok := e[name]; ok && (v.Value != "" || v.ValueFrom == nil || v.ValueFrom.SecretKeyRef == nil) {
			t.Errorf("%s is not a Secret reference: %+v", name, v)
		}
	}
	sc := c.SecurityContext
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
		t.Errorf("container security context %+v, want read-only root, no privilege escalation, all capabilities dropped", sc)
	}
	psc := spec.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
		t.Errorf("pod security context %+v, want a non-root user", psc)
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("resources %+v, want CPU and memory requests and a memory limit", c.Resources)
	}
	for name, p := range map[string]*corev1.Probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe, "startup": c.StartupProbe} {
		if p == nil {
			t.Errorf("no %s probe", name)
		}
	}
	return c, e
}

func TestChart(t *testing.T) {
	cases := []struct {
		name  string
		vals  map[string]any
		check func(t *testing.T, o *objects)
	}{
		{"defaults", nil, func(t *testing.T, o *objects) {
			d := o.deployments["gw-bosa-gateway"]
			c, e := checkDeployment(t, d)
			if d.Spec.Replicas == nil || *d.Spec.Replicas != 2 {
				t.Errorf("replicas %v, want 2", d.Spec.Replicas)
			}
			for name, p := range map[string]*corev1.Probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe} {
				if p.GRPC == nil || p.GRPC.Port != 50051 || (p.GRPC.Service != nil && *p.GRPC.Service != "") {
					t.Errorf("%s probe %+v, want grpc.health.v1 on port 50051", name, p.ProbeHandler)
				}
			}
			if ref := e["BOSA_PAGE_TOKEN_SECRET"].ValueFrom; ref == nil || ref.SecretKeyRef.Name != "bosa-gateway-page-token" {
				t.Errorf("BOSA_PAGE_TOKEN_SECRET %+v, want the default existing Secret", e["BOSA_PAGE_TOKEN_SECRET"])
			}
			if _, ok := e["BOSA_API_KEY"]; ok {
				t.Errorf("BOSA_API_KEY set without secrets.apiKey.existingSecret")
			}
			svc := o.services["gw-bosa-gateway"]
			ports := map[string]corev1.ServicePort{}
			for _, p := range svc.Spec.Ports {
				ports[p.Name] = p
			}
			if p := ports["grpc"]; p.Port != 50051 || p.AppProtocol == nil || *p.AppProtocol != "kubernetes.io/h2c" {
				t.Errorf("grpc service port %+v", p)
			}
			if p := ports["http"]; p.Port != 8080 || p.AppProtocol == nil || *p.AppProtocol != "http" {
				t.Errorf("http service port %+v", p)
			}
			if len(ports) != 2 {
				t.Errorf("service ports %v, want grpc and http only (no admin)", slices.Collect(maps.Keys(ports)))
			}
			headless := o.services["gw-bosa-gateway-headless"]
			if headless == nil || headless.Spec.ClusterIP != corev1.ClusterIPNone || len(headless.Spec.Ports) != 1 || headless.Spec.Ports[0].Port != 50051 {
				t.Errorf("headless Service %+v, want clusterIP None with the gRPC port", headless)
			}
			if pdb := o.pdbs["gw-bosa-gateway"]; pdb == nil || pdb.Spec.MaxUnavailable == nil || pdb.Spec.MaxUnavailable.IntValue() != 1 {
				t.Errorf("PodDisruptionBudget %+v, want maxUnavailable 1", pdb)
			}
			if len(o.hpas) != 0 || len(o.serviceMonitors) != 0 {
				t.Errorf("HPA or ServiceMonitor rendered by default: %v", o.kinds)
			}
		}},
		{"examples/production.yaml", valuesFile(t, "examples/production.yaml"), func(t *testing.T, o *objects) {
			d := o.deployments["gw-bosa-gateway"]
			c, e := checkDeployment(t, d)
			if d.Spec.Replicas != nil {
				t.Errorf("replicas %d set although the HPA owns them", *d.Spec.Replicas)
			}
			if g := *d.Spec.Template.Spec.TerminationGracePeriodSeconds; g != 3+10+30+5 {
				t.Errorf("terminationGracePeriodSeconds %d, want 48", g)
			}
			if ref := e["BOSA_API_KEY"].ValueFrom; ref == nil || ref.SecretKeyRef.Name != "bosa-api-key" || ref.SecretKeyRef.Key != "api-key" {
				t.Errorf("BOSA_API_KEY %+v", e["BOSA_API_KEY"])
			}
			if e["BOSA_ADMIN_ADDR"].Value != ":9090" || e["BOSA_METRICS_ADMIN_ONLY"].Value != "true" {
				t.Errorf("admin env %+v %+v", e["BOSA_ADMIN_ADDR"], e["BOSA_METRICS_ADMIN_ONLY"])
			}
			if e["OTEL_TRACES_EXPORTER"].Value != "otlp" || e["OTEL_EXPORTER_OTLP_ENDPOINT"].Value != "http://otel-collector:4318" {
				t.Errorf("tracing env %+v %+v", e["OTEL_TRACES_EXPORTER"], e["OTEL_EXPORTER_OTLP_ENDPOINT"])
			}
			if c.Lifecycle.PreStop.Sleep.Seconds != 3 {
				t.Errorf("preStop %+v", c.Lifecycle.PreStop)
			}
			h := o.hpas["gw-bosa-gateway"]
			if h == nil || *h.Spec.MinReplicas != 3 || h.Spec.MaxReplicas != 12 || h.Spec.ScaleTargetRef.Name != d.Name {
				t.Errorf("HPA %+v", h)
			}
			if c.Image != "registry.example/bosa-gateway:v1.2.3" || e["BOSA_MAX_UPSTREAM_CONCURRENCY"].Value != "32" {
				t.Errorf("image %q, BOSA_MAX_UPSTREAM_CONCURRENCY %+v", c.Image, e["BOSA_MAX_UPSTREAM_CONCURRENCY"])
			}
			sm := o.serviceMonitors["gw-bosa-gateway"]
			if sm == nil || len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != "admin" || sm.Labels["release"] != "prom" {
				t.Fatalf("ServiceMonitor %+v", sm)
			}
			metrics := o.services["gw-bosa-gateway-metrics"]
			if metrics == nil || len(metrics.Spec.Ports) != 1 || metrics.Spec.Ports[0].Name != "admin" {
				t.Errorf("metrics Service %+v", metrics)
			}
			for k, v := range sm.Spec.Selector.MatchLabels {
				if metrics.Labels[k] != v {
					t.Errorf("ServiceMonitor selects %s=%s, the metrics Service has %q", k, v, metrics.Labels[k])
				}
			}
			if _, ok := sm.Spec.Selector.MatchLabels["app.kubernetes.io/component"]; !ok {
				t.Errorf("ServiceMonitor selector %v would also select the main Service", sm.Spec.Selector.MatchLabels)
			}
		}},
		{"examples/mtls.yaml", valuesFile(t, "examples/mtls.yaml"), func(t *testing.T, o *objects) {
			d := o.deployments["gw-bosa-gateway"]
			c, e := checkDeployment(t, d)
			if _, ok := e["BOSA_PAGE_TOKEN_SECRET"]; ok {
				t.Errorf("BOSA_PAGE_TOKEN_SECRET set without a Secret")
			}
			if e["BOSA_TLS_CERT"].Value != "/etc/bosa/tls/tls.crt" || e["BOSA_TLS_CLIENT_CA"].Value != "/etc/bosa/client-ca/ca.crt" {
				t.Errorf("TLS env %+v %+v", e["BOSA_TLS_CERT"], e["BOSA_TLS_CLIENT_CA"])
			}
			for name, p := range map[string]*corev1.Probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe} {
				if p.HTTPGet == nil || p.HTTPGet.Path != "/healthz" || p.HTTPGet.Port.String() != "admin" {
					t.Errorf("%s probe %+v, want /healthz on the plain admin port (kubelet cannot probe gRPC over TLS)", name, p.ProbeHandler)
				}
			}
			vols := map[string]string{}
			for _, v := range d.Spec.Template.Spec.Volumes {
				vols[v.Name] = v.Secret.SecretName
			}
			if vols["tls"] != "gw-tls" || vols["client-ca"] != "gw-client-ca" {
				t.Errorf("volumes %v", vols)
			}
			if len(o.pdbs) != 0 {
				t.Errorf("PodDisruptionBudget rendered although disabled")
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			manifests, err := render(tc.vals)
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			tc.check(t, decode(t, manifests))
			lint := action.NewLint()
			lint.Strict, lint.KubeVersion, lint.Namespace = true, kubeVersion, "prod"
			if res := lint.Run([]string{chartDir}, tc.vals); len(res.Errors) > 0 {
				t.Errorf("helm lint: %v", res.Errors)
			}
		})
	}
}

// TestChartRefuses: value sets that would break replicas or security fail to render, saying why.
func TestChartRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		vals map[string]any
		want string
	}{
		{"replicas without a shared page-token secret", map[string]any{"replicaCount": 3,
			"secrets": map[string]any{"pageTokenSecret": map[string]any{"existingSecret": ""}}}, "pageTokenSecret"},
		{"autoscaling without a shared page-token secret", map[string]any{"replicaCount": 1, "autoscaling": map[string]any{"enabled": true},
			"secrets": map[string]any{"pageTokenSecret": map[string]any{"existingSecret": ""}}}, "pageTokenSecret"},
		{"client CA without TLS", map[string]any{"tls": map[string]any{"clientCA": map[string]any{"existingSecret": "ca"}}}, "tls.existingSecret"},
		{"metrics on a disabled admin listener", map[string]any{"admin": map[string]any{"metricsOnly": true}}, "admin.enabled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := render(tc.vals)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("render: %v, want an error naming %s", err, tc.want)
			}
		})
	}
}
