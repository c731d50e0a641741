package dev.sandbox4j.cli;

import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.SandboxImage;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code --image}: {@code host} is {@link SandboxImage#host()}, an absolute path to a directory is
 * {@link SandboxImage#directory(Path)}, anything else is an OCI reference ({@link SandboxImage#oci(String)}).
 */
final class ImageConverter implements ITypeConverter<SandboxImage> {

    @Override
    public SandboxImage convert(String value) {
        try {
            if (value.equals("host")) {
                return SandboxImage.host();
            }
            if (value.startsWith("/")) {
                Path dir = Path.of(value);
                if (!Files.isDirectory(dir)) {
                    throw new TypeConversionException("'" + value + "' is not a directory; give the root file system"
                            + " directory of the image, 'host', or an OCI image reference such as python:3.12");
                }
                return SandboxImage.directory(dir);
            }
            return SandboxImage.oci(value);
        } catch (InvalidInputException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}
