"""A stimulus set's content hash: its definition, file/memory agreement, and the running hasher's order checks."""

import hashlib

import numpy as np
import pytest

from chronoscore.stimuli import read_image_folder
from chronoscore.stimuli.content_hash import ContentHasher
from chronoscore.stimuli.hashing_dataset import HashingStimulusDataset
from chronoscore.stimuli.preprocessing import StimulusDataset
from tests.stimuli.tiny_sets import pixel_set, random_pixels, save_images


def defined_hash(stimulus_set, pixels):
    """SHA-256 of the metadata CSV (no filename), repr(degrees) and the images' bytes in order, 16 hex."""
    digest = hashlib.sha256(stimulus_set.table.drop(columns=["filename"], errors="ignore")
                            .to_csv(index=False).encode())
    digest.update(repr(float(stimulus_set.degrees)).encode())
    for image in pixels:
        digest.update(image.tobytes())
    return digest.hexdigest()[:16]


@pytest.mark.parametrize("n, seed, degrees", [(1, 0, 8.0), (3, 1, 4.5), (4, 2, 12.0)])
def test_the_hash_follows_its_definition_and_files_agree_with_memory(tmp_path, n, seed, degrees):
    pixels = random_pixels(n, seed=seed)
    in_memory = pixel_set(pixels, degrees=degrees)
    save_images(tmp_path, pixels, [f"{stimulus_id}.png" for stimulus_id in in_memory.stimulus_ids])
    from_files = read_image_folder(tmp_path, degrees=degrees)
    assert in_memory.content_hash() == defined_hash(in_memory, pixels)
    assert from_files.content_hash() == defined_hash(from_files, pixels[np.argsort(in_memory.stimulus_ids)])


def test_one_changed_pixel_or_angle_changes_the_hash():
    pixels = random_pixels()
    changed = pixels.copy()
    changed[2, 5, 5, 1] ^= 1
    hashes = {pixel_set(pixels).content_hash(), pixel_set(changed).content_hash(),
              pixel_set(pixels, degrees=8.5).content_hash()}
    assert len(hashes) == 3


def test_the_running_hasher_insists_on_table_order_and_completeness():
    stimuli = pixel_set()
    hasher = ContentHasher(stimuli)
    hasher.add(0, stimuli.pixels[0])
    with pytest.raises(RuntimeError, match="image 2 reached the content hash where image 1 was due"):
        hasher.add(2, stimuli.pixels[2])
    with pytest.raises(RuntimeError, match="1 of 4 images"):
        hasher.hexdigest()


def test_a_hashing_dataset_read_in_order_gives_the_set_s_hash_and_the_same_items(tmp_path):
    pixels = random_pixels(4, height=16, width=16, seed=3)
    save_images(tmp_path, pixels, [f"{index}.png" for index in range(4)])
    stimuli = read_image_folder(tmp_path)
    dataset = HashingStimulusDataset(stimuli, image_size=8)
    plain = StimulusDataset(stimuli, image_size=8)
    for index in range(4):
        image, position = dataset[index]
        assert position == index and np.array_equal(image.numpy(), plain[index][0].numpy())
    assert dataset.hasher.hexdigest() == stimuli.content_hash()

