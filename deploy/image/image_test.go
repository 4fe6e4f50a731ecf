// Package image tests the container image built from the repository's Containerfile: its config,
// its files, and the binary inside it, run against the sandbox. It needs podman (`make test-deploy`
// installs it); images are built, not run, since running containers is not needed to prove them.
package image

import (
	"archive/tar"
	"bufio"
	"context"
	"debug/elf"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

const (
	version  = "v0.0.0-imagetest"
	revision = "0123456789abcdef0123456789abcdef01234567"
	created  = "2026-12-06T00:00:00Z"
	source   = "https://example.test/bosa/gateway"
	tag      = "localhost/bosa-gateway:imagetest"
)

// imageConfig is the part of `podman image inspect` the test reads.
type imageConfig struct {
	Config struct {
		User         string
		Entrypoint   []string
		Cmd          []string
		Env          []string
		ExposedPorts map[string]struct{}
		Labels       map[string]string
	}
	Os, Architecture string
	Size             int64
}

func run(t *testing.T, dir string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// buildImage builds the binary as `make image` does and the image from the Containerfile.
func buildImage(t *testing.T) {
	t.Helper()
	ctxDir := t.TempDir()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	ldflags := "-s -w -X bosa.dev/gateway/internal/buildinfo.version=" + version +
		" -X bosa.dev/gateway/internal/buildinfo.commit=" + revision + " -X bosa.dev/gateway/internal/buildinfo.date=" + created
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", ldflags, "-o", filepath.Join(ctxDir, "bosa-gateway"), "./cmd/bosa-gateway")
	cmd.Dir, cmd.Env = root, append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ca, err := os.ReadFile("/etc/ssl/certs/ca-certificates.crt")
	if err != nil {
		t.Fatalf("CA bundle for the image: %v", err)
	}
	if err := os.WriteFile(filepath.Join(ctxDir, "ca-certificates.crt"), ca, 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, root, "podman", "build", "--quiet", "--format", "oci", "-f", "Containerfile", "-t", tag,
		"--build-arg", "VERSION="+version, "--build-arg", "REVISION="+revision,
		"--build-arg", "CREATED="+created, "--build-arg", "SOURCE="+source, ctxDir)
	t.Cleanup(func() { _ = exec.Command("podman", "rmi", "--force", tag).Run() })
}

// TestImage builds the image, checks its config and files, extracts the binary and runs it.
func TestImage(t *testing.T) {
	buildImage(t)

	var inspected []imageConfig
	if err := json.Unmarshal([]byte(run(t, ".", "podman", "image", "inspect", tag)), &inspected); err != nil || len(inspected) != 1 {
		t.Fatalf("podman image inspect: %v (%d images)", err, len(inspected))
	}
	img := inspected[0]
	cfg := img.Config
	if !regexp.MustCompile(`^[1-9][0-9]*:[1-9][0-9]*$`).MatchString(cfg.User) {
		t.Errorf("user %q, want a numeric non-root uid:gid (scratch has no /etc/passwd)", cfg.User)
	}
	if !slices.Equal(cfg.Entrypoint, []string{"/bosa-gateway"}) || len(cfg.Cmd) != 0 {
		t.Errorf("entrypoint %q cmd %q, want [/bosa-gateway] and no cmd", cfg.Entrypoint, cfg.Cmd)
	}
	for _, p := range []string{"50051/tcp", "8080/tcp"} {
		if _, ok := cfg.ExposedPorts[p]; !ok {
			t.Errorf("port %s not exposed: %v", p, cfg.ExposedPorts)
		}
	}
	if len(cfg.ExposedPorts) != 2 {
		t.Errorf("exposed ports %v, want the gRPC and HTTP ports only", cfg.ExposedPorts)
	}
	for _, env := range []string{"BOSA_GRPC_ADDR=:50051", "BOSA_HTTP_ADDR=:8080"} {
		if !slices.Contains(cfg.Env, env) {
			t.Errorf("env %q lacks %s (listen on all interfaces)", cfg.Env, env)
		}
	}
	for k, want := range map[string]string{
		"org.opencontainers.image.version": version, "org.opencontainers.image.revision": revision,
		"org.opencontainers.image.created": created, "org.opencontainers.image.source": source,
		"org.opencontainers.image.title": "bosa-gateway",
	} {
		if got := cfg.Labels[k]; got != want {
			t.Errorf("label %s = %q, want %q", k, got, want)
		}
	}
	if img.Os != "linux" {
		t.Errorf("os %q", img.Os)
	}

	files, bin := imageFiles(t)
	want := []string{"bosa-gateway", "etc/ssl/certs/ca-certificates.crt"}
	if !slices.Equal(files, want) {
		t.Errorf("image files %q, want exactly %q (no shell, nothing else)", files, want)
	}
	t.Logf("image: %d bytes, binary %d bytes", img.Size, fileSize(t, bin))

	f, err := elf.Open(bin)
	if err != nil {
		t.Fatalf("the image's binary is not ELF: %v", err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("the image's binary needs a dynamic loader; want a static binary (CGO_ENABLED=0)")
		}
	}
	f.Close()

	out := run(t, ".", bin, "--version")
	if !strings.Contains(out, version) || !strings.Contains(out, revision) || !strings.Contains(out, created) {
		t.Errorf("--version printed %q, want version, commit and date of the build", out)
	}
	runBinary(t, bin, cfg.Env)
}

// imageFiles saves the image, lists the regular files of its layers and extracts /bosa-gateway.
func imageFiles(t *testing.T) (files []string, bin string) {
	t.Helper()
	dir := t.TempDir()
	archive := filepath.Join(dir, "image.tar")
	run(t, ".", "podman", "save", "--format", "docker-archive", "-o", archive, tag)
	layers := map[string][]byte{}
	var manifest []struct{ Layers []string }
	readTar(t, archive, func(h *tar.Header, r io.Reader) {
		data, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == "manifest.json" {
			if err := json.Unmarshal(data, &manifest); err != nil {
				t.Fatalf("manifest.json: %v", err)
			}
		}
		layers[h.Name] = data
	})
	if len(manifest) != 1 {
		t.Fatalf("docker-archive holds %d manifests", len(manifest))
	}
	bin = filepath.Join(dir, "bosa-gateway")
	for _, l := range manifest[0].Layers {
		layer := filepath.Join(dir, "layer.tar")
		if err := os.WriteFile(layer, layers[l], 0o644); err != nil {
			t.Fatal(err)
		}
		readTar(t, layer, func(h *tar.Header, r io.Reader) {
			if h.Typeflag == tar.TypeDir {
				return
			}
			name := strings.TrimPrefix(h.Name, "./")
			files = append(files, name)
			if name == "bosa-gateway" {
				w, err := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY, 0o755)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := io.Copy(w, r); err != nil {
					t.Fatal(err)
				}
				w.Close()
			}
		})
	}
	slices.Sort(files)
	return files, bin
}

func readTar(t *testing.T, path string, each func(*tar.Header, io.Reader)) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		each(h, tr)
	}
}

func fileSize(t *testing.T, path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// runBinary runs the extracted binary with the image's environment (ports changed to free ones,
// still on all interfaces) and --sandbox, then checks gRPC health as the kubelet's grpc probe
// does, and a REST call through the gateway to the sandbox.
func runBinary(t *testing.T, bin string, imageEnv []string) {
	env := []string{}
	for _, kv := range imageEnv {
		if !strings.HasPrefix(kv, "BOSA_GRPC_ADDR=") && !strings.HasPrefix(kv, "BOSA_HTTP_ADDR=") {
			env = append(env, kv)
		}
	}
	env = append(env, "BOSA_GRPC_ADDR=:0", "BOSA_HTTP_ADDR=:0")
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--sandbox")
	cmd.Env = env
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the image's binary: %v", err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })

	// The session printed in --sandbox mode names the bound addresses.
	re := regexp.MustCompile(`^gRPC \((\S+)\)|^REST \(http://(\S+)\)`)
	var grpcAddr, httpAddr string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && (grpcAddr == "" || httpAddr == "") {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			grpcAddr, httpAddr = grpcAddr+m[1], httpAddr+m[2]
		}
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	for _, a := range []string{grpcAddr, httpAddr} {
		if !strings.HasPrefix(a, "[::]:") && !strings.HasPrefix(a, "0.0.0.0:") {
			t.Fatalf("listening on %q, want all interfaces", a)
		}
	}
	local := func(a string) string { return "127.0.0.1:" + a[strings.LastIndex(a, ":")+1:] }

	conn, err := grpc.NewClient(local(grpcAddr), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	hctx, hcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer hcancel()
	resp, err := healthpb.NewHealthClient(conn).Check(hctx, &healthpb.HealthCheckRequest{})
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("grpc.health.v1 Check: %v %v, want SERVING", resp, err)
	}
	r, err := http.Post("http://"+local(httpAddr)+"/v1/users", "application/json", strings.NewReader(`{"identifier": "image-test"}`))
	if err != nil {
		t.Fatalf("REST call: %v", err)
	}
	body, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != http.StatusOK || !strings.Contains(string(body), "image-test") {
		t.Errorf("POST /v1/users through the image's binary: %d %s", r.StatusCode, body)
	}
}
