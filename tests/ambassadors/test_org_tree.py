from __future__ import annotations

import pytest

from ambassadors.selectors import flatten, unit_tree
from tests.factories import AgentFactory, OrgUnitFactory


def test_paths_follow_the_tree(tree):
    assert tree.proprete.path == f"/{tree.direction.pk}/{tree.voirie.pk}/{tree.proprete.pk}/"
    assert tree.proprete.depth == 2
    assert tree.proprete.ancestor_ids == [tree.direction.pk, tree.voirie.pk]


def test_moving_a_unit_rewrites_its_descendants(tree):
    tree.voirie.parent = tree.culture
    tree.voirie.save()
    tree.proprete.refresh_from_db()
    assert tree.proprete.path == f"/{tree.culture.pk}/{tree.voirie.pk}/{tree.proprete.pk}/"


def test_subtree_headcount_adds_up_every_level(organization, tree):
    AgentFactory.create_batch(3, organization=organization, unit=tree.proprete)
    AgentFactory.create_batch(2, organization=organization, unit=tree.voirie)
    AgentFactory(organization=organization, unit=tree.espaces_verts)
    nodes = {node.code: node for node in flatten(unit_tree(organization=organization))}
    assert nodes["PRO"].subtree_headcount == 3
    assert nodes["VOI"].headcount == 2
    assert nodes["VOI"].subtree_headcount == 5
    assert nodes["DST"].subtree_headcount == 6
    assert nodes["CUL"].subtree_headcount == 0


@pytest.mark.parametrize("width", [1, 8])
def test_tree_with_headcounts_takes_two_queries_whatever_its_size(
    organization, django_assert_num_queries, width
):
    for d in range(width):
        direction = OrgUnitFactory(organization=organization, name=f"Direction {d}")
        for _ in range(width):
            service = OrgUnitFactory(organization=organization, parent=direction)
            sector = OrgUnitFactory(organization=organization, parent=service)
            AgentFactory.create_batch(2, organization=organization, unit=sector)
    with django_assert_num_queries(2):
        roots = unit_tree(organization=organization)
    assert sum(root.subtree_headcount for root in roots) == 2 * width * width


def test_tree_never_shows_another_organization(organization, other_organization, tree):
    OrgUnitFactory(organization=other_organization, name="Ailleurs")
    names = {node.name for node in flatten(unit_tree(organization=organization))}
    assert "Ailleurs" not in names
    assert "Voirie" in names
