package dev.sandbox4j.cli;

import dev.sandbox4j.DataSize;
import dev.sandbox4j.InvalidInputException;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Reads {@code 512m}, {@code 1g}, {@code 64k}, {@code 100} (bytes) with {@link DataSize#parse(String)}. */
final class DataSizeConverter implements ITypeConverter<DataSize> {

    @Override
    public DataSize convert(String value) {
        try {
            return DataSize.parse(value);
        } catch (InvalidInputException e) {
            // picocli prefixes the option's name: "Invalid value for option '--memory': ..."
            throw new TypeConversionException(e.getMessage());
        }
    }
}
