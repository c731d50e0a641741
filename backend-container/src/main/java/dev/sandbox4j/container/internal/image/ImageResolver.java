package dev.sandbox4j.container.internal.image;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.PullResponseItem;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.container.internal.engine.EngineClient;
import dev.sandbox4j.container.internal.engine.EngineException;
import dev.sandbox4j.container.internal.engine.RawHttp;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import dev.sandbox4j.container.internal.plan.BindMount;
import dev.sandbox4j.spi.EventSink;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Finds or makes the engine image a {@link SandboxImage} stands for: the host base image (made once,
 * offline), a named image (used from the local store, pulled with progress events when missing), or a
 * root file system tarball (imported once, named by its SHA-256). Stateless.
 */
public final class ImageResolver {
    /** Repository of imported rootfs tarballs; the tag is the tarball's SHA-256 prefix. */
    public static final String ROOTFS_REPOSITORY = "sandbox4j/rootfs";
    static final Duration PULL_TIMEOUT = Duration.ofMinutes(15);
    static final Duration IMPORT_TIMEOUT = Duration.ofMinutes(10);

    /** What to run: an image reference, and the host directories the image needs bound in. */
    public record Resolved(String reference, List<BindMount> systemBinds) {
    }

    private ImageResolver() {
    }

    /** {@link #name} then {@link #ensure}: the image exists in the engine when this returns. */
    public static Resolved resolve(EngineClient client, SandboxImage image, EventSink events) {
        Resolved r = name(image, client.engineName());
        ensure(client, image, r, events);
        return r;
    }

    /**
     * The engine image {@code image} stands for, with no engine call: so a sandbox can be created at once
     * and the image looked up, imported or pulled only when the engine says it has none (as {@code docker
     * run} does), saving a round trip per sandbox.
     */
    public static Resolved name(SandboxImage image, String engineName) {
        if (image instanceof SandboxImage.Host) {
            return new Resolved(HostBaseImage.reference(), HostBaseImage.systemBinds());
        } else if (image instanceof SandboxImage.Oci oci) {
            return new Resolved(oci.reference(), List.of());
        } else if (image instanceof SandboxImage.Rootfs rootfs) {
            Path tar = rootfs.tarball();
            if (!Files.isRegularFile(tar)) {
                throw new SandboxStartException("image.rootfs: " + tar + " is not a readable file; give the path of a"
                        + " tar archive of a root file system (e.g. made with 'tar -C rootfs -cf rootfs.tar .')");
            }
            return new Resolved(ROOTFS_REPOSITORY + ":" + sha256(tar).substring(0, 16), List.of());
        }
        throw new SandboxStartException(engineName + " cannot use image " + image
                + "; use SandboxImage.host(), oci(\"name:tag\") or rootfs(tarball)");
    }

    /** Makes sure the engine has {@code resolved} (named by {@link #name} for {@code image}): imports or pulls it when missing. */
    public static void ensure(EngineClient client, SandboxImage image, Resolved resolved, EventSink events) {
        String ref = resolved.reference();
        if (exists(client, ref)) {
            return;
        }
        if (image instanceof SandboxImage.Host) {
            events.progress("image", "making the host base image " + ref + " (once per engine)");
            byte[] tar = HostBaseImage.tar();
            importTar(client, new ByteArrayInputStream(tar), tar.length, ref, "the host base image");
        } else if (image instanceof SandboxImage.Oci) {
            pull(client, ref, events);
        } else if (image instanceof SandboxImage.Rootfs rootfs) {
            Path tar = rootfs.tarball();
            events.progress("image", "importing " + tar + " as " + ref);
            try (InputStream in = Files.newInputStream(tar)) {
                importTar(client, in, Files.size(tar), ref, "the root file system " + tar);
            } catch (IOException e) {
                throw new SandboxStartException("image.rootfs: cannot read " + tar + ": " + e, e);
            }
        }
    }

    static boolean exists(EngineClient client, String ref) {
        try {
            client.api().inspectImageCmd(ref).exec();
            return true;
        } catch (NotFoundException e) {
            return false;
        } catch (RuntimeException e) {
            throw client.failure("looking up image '" + ref + "'", e);
        }
    }

    private static void importTar(EngineClient client, InputStream tar, long length, String ref, String what) {
        int colon = ref.lastIndexOf(':');
        String path = "/v1.41/images/create?fromSrc=-&repo=" + URLEncoder.encode(ref.substring(0, colon), StandardCharsets.UTF_8)
                + "&tag=" + URLEncoder.encode(ref.substring(colon + 1), StandardCharsets.UTF_8);
        String answer;
        try {
            answer = RawHttp.post(client.endpoint(), path, "application/x-tar", tar, length, IMPORT_TIMEOUT);
        } catch (IOException e) {
            throw new SandboxStartException(client.failure("importing " + what + " as image " + ref, e).getMessage(), e);
        }
        if (answer.contains("\"error\"")) {
            throw new SandboxStartException(client.engineName() + " refused to import " + what + " as image " + ref + ": "
                    + answer.strip() + "; fix: give a tar archive of a root file system");
        }
        // Podman's compatible API ignores the tag of an import (it names it <repo>:latest): tag it by id
        java.util.regex.Matcher id = java.util.regex.Pattern.compile("sha256:[0-9a-f]{64}").matcher(answer);
        String imageId = null;
        while (id.find()) {
            imageId = id.group();
        }
        if (imageId != null) {
            try {
                client.api().tagImageCmd(imageId, ref.substring(0, colon), ref.substring(colon + 1)).withForce(true).exec();
                if (client.engineName().equals("Podman")) {
                    untagLatest(client, ref.substring(0, colon));
                }
            } catch (RuntimeException e) {
                throw new SandboxStartException(client.failure("naming the imported image " + imageId + " " + ref, e)
                        .getMessage(), e);
            }
        }
        if (!exists(client, ref)) {
            throw new SandboxStartException(client.engineName() + " accepted the import of " + what + " but has no image "
                    + ref + " afterwards; check the engine's log");
        }
    }

    /** Drops the {@code <repository>:latest} name Podman gave the import (the image keeps its real tag). */
    private static void untagLatest(EngineClient client, String repository) {
        try {
            client.api().removeImageCmd(repository + ":latest").withNoPrune(true).exec();
        } catch (RuntimeException e) {
            // no such name, or in use: harmless either way
        }
    }

    private static void pull(EngineClient client, String ref, EventSink events) {
        events.progress("image pull", ref + ": not in the local store of " + client.engineName() + ", pulling");
        AtomicReference<String> error = new AtomicReference<>();
        ResultCallback.Adapter<PullResponseItem> cb = new ResultCallback.Adapter<>() {
            @Override
            public void onNext(PullResponseItem item) {
                if (item.getErrorDetail() != null) {
                    error.compareAndSet(null, item.getErrorDetail().getMessage());
                }
                String status = item.getStatus();
                if (status != null) {
                    var detail = item.getProgressDetail();
                    events.progress("image pull", ref + ": " + (item.getId() != null ? item.getId() + " " : "") + status
                            + (detail != null && detail.getTotal() != null && detail.getTotal() > 0
                            ? " " + detail.getCurrent() + "/" + detail.getTotal() + " bytes" : ""));
                }
            }
        };
        try {
            client.api().pullImageCmd(ref).exec(cb);
            if (!cb.awaitCompletion(PULL_TIMEOUT.toMinutes(), TimeUnit.MINUTES)) {
                cb.close();
                throw new SandboxStartException("image pull of '" + ref + "' did not finish within " + PULL_TIMEOUT.toMinutes()
                        + " minutes; fix: pull or load it into " + client.engineName() + " beforehand");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxStartException("interrupted while pulling image '" + ref + "'", e);
        } catch (IOException | RuntimeException e) {
            if (e instanceof SandboxStartException s) {
                throw s;
            }
            error.compareAndSet(null, EngineClient.message(e));
        }
        if (error.get() == null && !exists(client, ref)) {
            error.set("the pull ended without the image in the local store");
        }
        if (error.get() != null) {
            throw new SandboxStartException("image '" + ref + "' does not exist in the local store of "
                    + client.engineName() + " (" + client.endpoint() + ") and pulling it failed: " + error.get()
                    + "; fix: check the name, or load the image locally (docker load -i image.tar / docker import"
                    + " rootfs.tar " + ref + "), or use SandboxImage.rootfs(tarball), or make its registry reachable");
        }
        events.progress("image pull", ref + ": done");
    }

    static String sha256(Path file) {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            byte[] buf = new byte[64 * 1024];
            while (in.read(buf) >= 0) {
                // reading feeds the digest
            }
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (IOException e) {
            throw new SandboxStartException("image.rootfs: cannot read " + file + ": " + e, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** For callers that must map an engine failure while resolving into the start phase. */
    public static SandboxStartException startFailure(EngineException e) {
        return new SandboxStartException(e.getMessage(), e);
    }
}
